import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { canConnect, freePort, waitFor } from './ports';
import { findOnPath, MissingTestToolError } from './missing-tool';

export const REDIS_INSTALL_HINT =
  'redis-server not found on the PATH: install the package redis-server (apt-get install redis-server; brew install redis), or set CAPTIONER_TEST_REDIS_URL to a Redis the tests may use';

/** `redis-server` on `searchPath`; MissingTestToolError (one line naming the package) otherwise. */
export function findRedisServer(searchPath?: string): string {
  const found = findOnPath('redis-server', searchPath);
  if (!found) throw new MissingTestToolError(REDIS_INSTALL_HINT);
  return found;
}

export interface PrivateRedisOptions {
  /**
   * Keep data on disk (append-only file, fsync always) so queued jobs survive a restart, as a real
   * deployment must configure it. Off: memory only, faster.
   */
  persistent?: boolean;
  /** The PATH to find redis-server on. @defaultValue process.env.PATH */
  searchPath?: string;
}

/** A redis-server of our own on a free port of 127.0.0.1, its files in `dir`. */
export class PrivateRedis {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly binary: string,
    private readonly persistent: boolean,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  static async start(dir: string, options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    const binary = findRedisServer(options.searchPath);
    await fs.mkdir(dir, { recursive: true });
    const redis = new PrivateRedis(await freePort(), dir, binary, options.persistent ?? true);
    await redis.launch();
    return redis;
  }

  private async launch(): Promise<void> {
    const persistence = this.persistent
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no'];
    const child = spawn(
      this.binary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...persistence,
        '--dir',
        this.dir,
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    let exited = false;
    child.once('exit', () => (exited = true));
    try {
      await waitFor(
        `redis-server on port ${this.port}`,
        async () => {
          if (exited) throw new Error(`redis-server exited at start (port ${this.port}, dir ${this.dir})`);
          return canConnect(this.port);
        },
        20_000,
      );
    } catch (error) {
      await this.stop(); // Not left running after a start that timed out.
      throw error;
    }
  }

  /** Stops the server (SIGTERM: Redis flushes its append-only file) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.launch();
  }
}
