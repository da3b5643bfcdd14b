// Writes prisma/<provider>/schema.prisma from prisma/models.prisma for each provider, so that the
// SQLite and PostgreSQL clients share one model definition. `--check` fails when a file is stale.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const models = fs.readFileSync(path.join(here, 'models.prisma'), 'utf8');
const check = process.argv.includes('--check');
let stale = false;
for (const provider of ['sqlite', 'postgresql']) {
  const header = `// GENERATED from prisma/models.prisma by prisma/sync-schemas.mjs: do not edit.

generator client {
  provider   = "prisma-client"
  output     = "../../packages/db/src/generated/${provider}"
  engineType = "client"
  moduleFormat = "esm"
  previewFeatures = ["queryCompiler", "driverAdapters"]
}

// The URL is given at run time through a driver adapter (packages/db); this one only satisfies the schema.
datasource db {
  provider = "${provider}"
  url      = "${provider === 'sqlite' ? 'file:./unused.db' : 'postgresql://unused'}"
}

`;
  const file = path.join(here, provider, 'schema.prisma');
  const content = header + models;
  if (check) {
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) {
      console.error(`${path.relative(process.cwd(), file)} is stale: run npm run db:schemas`);
      stale = true;
    }
  } else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}
process.exit(stale ? 1 : 0);
