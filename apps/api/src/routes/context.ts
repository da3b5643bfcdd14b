import type { CaptionerConfig } from '@captioner/core';
import type { DbClient } from '@captioner/db';

/** What every route group is registered with. */
export interface RouteContext {
  config: CaptionerConfig;
  db: DbClient;
}
