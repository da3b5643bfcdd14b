import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startWorker, waitForExit } from './cli';

/** Helpers of the fault suite: real worker processes, a private Redis, a TCP proxy, polling. */

export type WorkerProcess = ReturnType<typeof startWorker>;

/** Stall detection shortened so a killed worker's job is taken over within seconds, not a minute. */
export const FAST_STALL_ENV = {
  CAPTIONER_LOCK_DURATION_MS: '4000',
  CAPTIONER_STALLED_INTERVAL_MS: '2000',
  CAPTIONER_MAX_STALLED_COUNT: '3',
};

export function uniquePrefix(label: string): string {
  return `fault-${label}-${randomBytes(3).toString('hex')}`;
}

/** Polls `probe` until it returns something truthy; fails naming `what` (and `context()`) otherwise. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: { timeoutMs?: number; intervalMs?: number; context?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${options.context?.() ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** The worker's JSON log lines (pino on stderr), parsed; other lines are ignored. */
export function logLines(worker: WorkerProcess): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (const line of worker.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line cut by SIGKILL.
    }
  }
  return lines;
}

/** Starts workers and makes sure none outlives the test. */
export class WorkerSet {
  private readonly workers: WorkerProcess[] = [];
  constructor(private readonly env: () => NodeJS.ProcessEnv) {}

  start(args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): WorkerProcess {
    const worker = startWorker(args, { ...this.env(), ...extraEnv });
    this.workers.push(worker);
    return worker;
  }

  /** Every worker's output, for failure messages. */
  output(tail = 4000): string {
    return this.workers
      .map((w, i) => `--- worker ${i} (pid ${w.pid}) ---\n${w.output().slice(-tail)}`)
      .join('\n');
  }

  /** SIGTERM to every live worker, SIGKILL to those that do not exit within `graceMs`. */
  async stopAll(graceMs = 20_000): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.exitCode !== null || w.signalCode !== null) return;
        w.kill('SIGTERM');
        await waitForExit(w, graceMs).catch(() => {
          w.kill('SIGKILL');
          return waitForExit(w, 5_000).catch(() => null);
        });
      }),
    );
    this.workers.length = 0;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private redis-server with an append-only file, so queued jobs survive a restart (as a real
 * deployment must configure it: `appendonly yes`, `maxmemory-policy noeviction`).
 */
export class PrivateRedis {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(dir: string): Promise<PrivateRedis> {
    await fs.mkdir(dir, { recursive: true });
    const redis = new PrivateRedis(await freePort(), dir);
    await redis.launch();
    return redis;
  }

  private async launch(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        this.dir,
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    await waitUntil(`redis-server on port ${this.port}`, () => canConnect(this.port), { timeoutMs: 20_000 });
  }

  /** Stops the server (SIGTERM: Redis flushes its append-only file) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await waitForExit(child, 20_000).catch(() => {
      child.kill('SIGKILL');
    });
  }

  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.launch();
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A TCP proxy between workers and PostgreSQL: `cut()` drops every connection and refuses new ones
 * (the database is unreachable), `restore()` lets them through again.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private open = true;
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const state: { proxy?: TcpProxy } = {};
    const server = net.createServer((client) => {
      const proxy = state.proxy!;
      if (!proxy.open) {
        client.destroy();
        return;
      }
      const upstream = net.connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        proxy.sockets.add(socket);
        socket.on('close', () => proxy.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    state.proxy = new TcpProxy(server, port);
    return state.proxy;
  }

  cut(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** `postgresql://…/db` with its host and port replaced (to route a worker through a proxy). */
export function viaPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}

export async function makeTempHome(label: string): Promise<string> {
  const os = await import('node:os');
  return fs.mkdtemp(path.join(os.tmpdir(), `captioner-${label}-`));
}
