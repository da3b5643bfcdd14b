/** JSON text columns (run config, stage figures, evaluation scores and settings) as values. */
export function parseJsonColumn<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * The stored, fully resolved run config of a run row: the one place that knows how the column is
 * stored. Callers parse the section they own with its package's schema.
 */
export function readRunConfig(run: { config: string }): unknown {
  return JSON.parse(run.config) as unknown;
}
