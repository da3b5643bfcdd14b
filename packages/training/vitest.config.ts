import { servicesTestConfig } from '../../vitest.shared.ts';

export default servicesTestConfig;
