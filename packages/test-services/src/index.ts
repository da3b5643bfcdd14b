export { startTestServices, testRedisUrl, TEST_POSTGRES_URL_VAR, TEST_REDIS_URL_VAR } from './test-services';
export type { TestServices } from './test-services';
export { PrivateRedis, findRedisServer, REDIS_INSTALL_HINT } from './private-redis';
export type { PrivateRedisOptions } from './private-redis';
export { PrivatePostgres, postgresBinariesPackage } from './private-postgres';
export { MissingTestToolError, findOnPath } from './missing-tool';
export { freePort, canConnect } from './ports';
