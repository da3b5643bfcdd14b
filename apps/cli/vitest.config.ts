import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import { servicesTestConfig } from '../../vitest.shared.ts';

/** The fast tests (`test` target); the end-to-end suites have their own config and target (`test-e2e`). */
export default mergeConfig(
  servicesTestConfig,
  defineConfig({ test: { exclude: [...configDefaults.exclude, 'src/**/*.e2e.test.ts'] } }),
);
