import type { StageKind } from '@captioner/db';
import type { StageContext } from '@captioner/stage-contract';
import type { StagePayloads } from './payloads';

/** A stage's work. Handlers are written in the stage packages and wired here by the apps. */
export type StageHandler<K extends StageKind> = (
  payload: StagePayloads[K],
  ctx: StageContext,
) => Promise<void>;

export type StageHandlers = { [K in StageKind]: StageHandler<K> };
