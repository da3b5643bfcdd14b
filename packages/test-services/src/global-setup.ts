import { MissingTestToolError } from './missing-tool';
import { startTestServices, TEST_POSTGRES_URL_VAR, TEST_REDIS_URL_VAR } from './test-services';

/**
 * Vitest global setup (see servicesTestConfig in vitest.shared.ts): starts the run's Redis and
 * PostgreSQL before any test file and hands their URLs to the test processes through the
 * environment, which they (and the CLI processes they spawn) inherit; stops and removes them at the end.
 */
export default async function setup(): Promise<() => Promise<void>> {
  let services;
  try {
    services = await startTestServices();
  } catch (error) {
    if (error instanceof MissingTestToolError) {
      // One line naming what to install, and the run stops here: without the servers no test of this
      // package can pass (also with CI=true, where .ci/run installs them first).
      process.stderr.write(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  process.env[TEST_REDIS_URL_VAR] = services.redisUrl;
  process.env[TEST_POSTGRES_URL_VAR] = services.postgresUrl;
  return () => services.stop();
}
