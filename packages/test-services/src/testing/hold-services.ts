/**
 * For the interruption test: starts the test services in the temporary directory given as argument,
 * prints their root and URLs as one JSON line, and waits to be killed.
 */
import { startTestServices } from '../test-services';

const services = await startTestServices({}, { tmpdir: process.argv[2] });
process.stdout.write(
  `${JSON.stringify({ root: services.root, redisUrl: services.redisUrl, postgresUrl: services.postgresUrl })}\n`,
);
setInterval(() => {}, 60_000);
