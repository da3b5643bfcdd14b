import path from 'node:path';

/**
 * True when `file` is a relative path that stays inside its root once normalized
 * (no absolute path, no drive letter, no `..` that climbs out). Checked textually, so it
 * holds for files that do not exist yet; symlinks on disk are the user's business.
 */
export function isContainedRelativePath(file: string): boolean {
  if (file.length === 0 || file.includes('\0')) return false;
  if (path.posix.isAbsolute(file) || path.win32.isAbsolute(file)) return false;
  const normalized = path.posix.normalize(file.replace(/\\/g, '/'));
  return normalized !== '..' && !normalized.startsWith('../') && normalized !== '.';
}

/** Normalizes a contained relative path to forward slashes (manifests are portable between OSes). */
export function toPortableRelative(file: string): string {
  return path.posix.normalize(file.replace(/\\/g, '/'));
}

/** Absolute path of `file` under `root`, or undefined when `file` would escape `root`. */
export function resolveInside(root: string, file: string): string | undefined {
  if (!isContainedRelativePath(file)) return undefined;
  const absolute = path.resolve(root, toPortableRelative(file));
  const relative = path.relative(path.resolve(root), absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return absolute;
}
