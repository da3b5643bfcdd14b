import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PrivateRedis, freePort } from '@captioner/test-services';
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

/** The fault suite's private Redis (append-only, so a restart keeps its jobs): the one the test setup uses. */
export { PrivateRedis, freePort };

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
