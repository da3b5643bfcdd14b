import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * A temporary file untouched for this long belongs to a writer that died (a write keeps touching its
 * file); a live one on another machine sharing the volume cannot be told apart by PID.
 */
export const STALE_TEMPORARY_MS = 60 * 60 * 1000;

/** Removes `target.tmp-*` files left by writers killed mid-write (SIGKILL, power loss) once they are stale. */
export async function sweepStaleTemporaries(
  target: string,
  maxAgeMs = STALE_TEMPORARY_MS,
): Promise<string[]> {
  const dir = path.dirname(target);
  const prefix = `${path.basename(target)}.tmp-`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names.filter((n) => n.startsWith(prefix))) {
    const file = path.join(dir, name);
    try {
      if (Date.now() - (await fs.stat(file)).mtimeMs < maxAgeMs) continue;
      await fs.rm(file, { recursive: true, force: true });
      removed.push(file);
    } catch {
      // Renamed or removed by its writer or another sweeper meanwhile.
    }
  }
  return removed;
}

/**
 * Writes a file so that readers see either the old content or the new one, never a part:
 * write a temporary file in the same directory, fsync it, then rename it over the target.
 * Stale temporaries of earlier, killed writes of the same target are removed first.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  await sweepStaleTemporaries(target);
  const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await fs.open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, target);
}

/** Same as writeFileAtomic for a JSON value, pretty-printed. */
export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}

export async function fileExists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
