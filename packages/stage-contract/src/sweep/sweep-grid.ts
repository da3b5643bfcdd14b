import { ConfigError } from '@captioner/core';
import { resolveRunConfig } from '../run-config';

/** One `--grid key=v1,v2` axis: a dotted run-config path and the values it takes. */
export interface GridAxis {
  key: string;
  values: readonly (string | number | boolean)[];
}

/** One configuration of a sweep: dotted key -> value, in axis order. */
export type SweepAssignment = Record<string, string | number | boolean>;

// Numbers and booleans are typed here so the zod schema sees what a JSON config would carry.
function parseValue(text: string): string | number | boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  return text;
}

/** Parses `key=v1,v2`; a missing `=`, key or value is refused in one line naming the argument. */
export function parseGridAxis(argument: string): GridAxis {
  const at = argument.indexOf('=');
  const key = at > 0 ? argument.slice(0, at).trim() : '';
  const values =
    at > 0
      ? argument
          .slice(at + 1)
          .split(',')
          .map((v) => v.trim())
      : [];
  if (!key || values.length === 0 || values.some((v) => v === '')) {
    throw new ConfigError(`sweep grid: "${argument}": expected key=v1,v2,...`);
  }
  return { key, values: values.map(parseValue) };
}

/** Every combination of the axes (the first axis varies slowest), deduplicated keys refused. */
export function expandGrid(axes: readonly GridAxis[]): SweepAssignment[] {
  const seen = new Set<string>();
  for (const axis of axes) {
    if (seen.has(axis.key)) throw new ConfigError(`sweep grid: ${axis.key}: given twice`);
    seen.add(axis.key);
  }
  let out: SweepAssignment[] = [{}];
  for (const axis of axes) {
    out = out.flatMap((partial) => axis.values.map((value) => ({ ...partial, [axis.key]: value })));
  }
  return axes.length === 0 ? [] : out;
}

// mulberry32: a tiny seeded generator, so `--random N --seed S` picks the same configurations each time.
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` distinct configurations of the grid, chosen by a seeded shuffle (all of them if fewer). */
export function sampleGrid(grid: readonly SweepAssignment[], count: number, seed: number): SweepAssignment[] {
  const random = seededRandom(seed);
  const order = grid.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order.slice(0, Math.max(0, count)).map((i) => grid[i]);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The base config with each dotted key set; the base is not changed. */
export function applyAssignment(base: unknown, assignment: SweepAssignment): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(isPlainObject(base) ? base : {});
  for (const [key, value] of Object.entries(assignment)) {
    const parts = key.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainObject(node[part])) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return out;
}

/**
 * Checks every configuration against the run config schema before anything is created, so a bad
 * key or value fails the whole sweep in one line naming the key (`sweep grid: training.epocs: ...`).
 */
export function validateSweep(base: unknown, assignments: readonly SweepAssignment[]): void {
  for (const assignment of assignments) {
    try {
      resolveRunConfig(applyAssignment(base, assignment));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(`sweep grid: ${error.message.replace(/^run config: /, '')}`);
    }
  }
}
