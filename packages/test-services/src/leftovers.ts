import { readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Servers and directories of a test run must not outlive it, also when it is interrupted. A run's
 * temporary root holds `owner.json` (the run's pid, its servers' pids): Ctrl-C or SIGTERM kills the
 * servers and removes the root at once; after a SIGKILL, the next run finds the root of a dead owner
 * and does the same.
 */
export const TEST_SERVICES_DIR_PREFIX = 'captioner-test-services-';

interface OwnerRecord {
  ownerPid: number;
  serverPids: number[];
}

export function writeOwnerRecord(root: string, serverPids: number[]): void {
  const record: OwnerRecord = { ownerPid: process.pid, serverPids };
  writeFileSync(path.join(root, 'owner.json'), JSON.stringify(record));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is a server working in `root` (not an unrelated process that got the pid since). Both
 * servers change into their data directory (Redis also rewrites its command line, so that cannot tell).
 */
function isServerOf(pid: number, root: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`).startsWith(root + path.sep);
  } catch {
    return false;
  }
}

/** Kills the servers of `root` (SIGKILL: they hold only throwaway data) and removes it. Synchronous, for exit handlers. */
export function destroyRoot(root: string, serverPids: number[]): void {
  for (const pid of serverPids) {
    if (isAlive(pid) && isServerOf(pid, root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/** Removes the roots (and servers) of earlier runs whose process is gone. Returns the roots removed. */
export function removeLeftovers(tmpdir = os.tmpdir()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir)) {
    if (!name.startsWith(TEST_SERVICES_DIR_PREFIX)) continue;
    const root = path.join(tmpdir, name);
    let record: OwnerRecord;
    try {
      record = JSON.parse(readFileSync(path.join(root, 'owner.json'), 'utf8')) as OwnerRecord;
    } catch {
      continue; // Being set up by a run that has not written its record yet, or not ours.
    }
    if (isAlive(record.ownerPid)) continue;
    try {
      destroyRoot(root, record.serverPids);
      removed.push(root);
    } catch {
      // Another user's (not ours to remove); it does not stand in this run's way.
    }
  }
  return removed;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `cleanup` when the process exits or is stopped by a signal before `release()` is called. A
 * signal then still ends the process as it would have, unless someone else (the test runner) handles it.
 */
export function onAbnormalExit(cleanup: () => void): { release: () => void } {
  const onExit = () => cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    release();
    cleanup();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const release = () => {
    process.off('exit', onExit);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  process.once('exit', onExit);
  for (const signal of SIGNALS) process.once(signal, onSignal);
  return { release };
}
