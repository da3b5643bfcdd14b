import { randomBytes } from 'node:crypto';

/** Short, URL- and BullMQ-safe ids (no `:`), e.g. `run-3f9a1c2b`. */
export function newId(prefix: 'ds' | 'run' | 'stage' | 'shard' | 'ckpt' | 'eval' | 'enc' | 'sweep'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
