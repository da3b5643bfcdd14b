import fs from 'node:fs/promises';
import { InvalidInputError, UsageError } from '@captioner/core';
import { withRunPreset } from '@captioner/stage-contract';

/** Sets `value` at a dotted path in a plain object, creating objects on the way. */
function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  // An empty or prototype segment would be dropped silently instead of refused by the config schema.
  if (
    parts.some(
      (part) => part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype',
    )
  )
    throw new UsageError(`--set ${dotted}: not a config path`);
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

/**
 * A run config from `--preset NAME`, then `--config FILE.json` over it, then `--set path=value` overrides
 * (values parsed as JSON when they are JSON, e.g. `--set training.epochs=3 --set model.decoder.cell=gru`).
 */
export async function readRunConfigInput(
  file: string | undefined,
  overrides: string[],
  preset?: string,
): Promise<Record<string, unknown>> {
  let config: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      throw new InvalidInputError(`run config file not found: ${file}`);
    }
    try {
      config = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new InvalidInputError(`${file}: not JSON (${(error as Error).message})`);
    }
  }
  if (preset !== undefined) config = withRunPreset(preset, config);
  for (const override of overrides) {
    const eq = override.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${override}: expected path=value`);
    const raw = override.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare string
    }
    setPath(config, override.slice(0, eq), value);
  }
  return config;
}
