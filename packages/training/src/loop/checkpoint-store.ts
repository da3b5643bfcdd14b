import fs from 'node:fs/promises';
import path from 'node:path';
import { isCheckpointDir } from '@captioner/model';

/** Directory name of the checkpoint written after `step` optimizer steps (sorts by step). */
export function checkpointDirName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Complete checkpoints in `root`, oldest first. Partial (temporary) directories are ignored. */
export async function listCheckpoints(root: string): Promise<{ step: number; dir: string }[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const found: { step: number; dir: string }[] = [];
  for (const name of names) {
    const match = /^step-(\d+)$/.exec(name);
    if (!match) continue;
    const dir = path.join(root, name);
    if (await isCheckpointDir(dir)) found.push({ step: Number(match[1]), dir });
  }
  return found.sort((a, b) => a.step - b.step);
}

/** Leftovers of checkpoints whose writing was interrupted (temporary siblings); safe to delete. */
export async function removePartialCheckpoints(root: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (/^\.step-\d+\.(partial|old)-/.test(name))
      await fs.rm(path.join(root, name), { recursive: true, force: true });
  }
}

/**
 * Deletes all but the newest `keep` checkpoints, never the best one. `beforeRemove` runs first for
 * each (the database marks it pruned), then the directory is renamed to a temporary sibling and
 * deleted: a process killed midway leaves a record that says "pruned" and at worst a leftover that
 * `removePartialCheckpoints` deletes, never a record pointing at a missing or half-deleted directory.
 */
export async function pruneCheckpoints(
  root: string,
  keep: number,
  bestDir: string | undefined,
  beforeRemove?: (dir: string) => void | Promise<void>,
): Promise<string[]> {
  const all = await listCheckpoints(root);
  const removed: string[] = [];
  for (const c of all.slice(0, Math.max(all.length - keep, 0))) {
    if (bestDir && path.resolve(c.dir) === path.resolve(bestDir)) continue;
    await beforeRemove?.(c.dir);
    const doomed = path.join(root, `.${path.basename(c.dir)}.old-${process.pid}-${Date.now()}`);
    await fs.rename(c.dir, doomed);
    await fs.rm(doomed, { recursive: true, force: true });
    removed.push(c.dir);
  }
  return removed;
}
