import { loadConfig } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { openDatabase } from '@captioner/db';
import type { Database } from '@captioner/db';

/** What every command gets: the configuration, and the database opened on first use. */
export class CommandContext {
  readonly config: CaptionerConfig = loadConfig();
  private database: Database | undefined;

  async db(): Promise<Database> {
    this.database ??= await openDatabase(this.config.databaseUrl);
    return this.database;
  }

  async close(): Promise<void> {
    // Runs after the command's outcome is decided (and on its error path): a failed close must not
    // replace that outcome, and the process exits right after, which releases the connection anyway.
    await this.database?.close().catch(() => {});
  }
}

/** Runs a command body with a context that is closed afterwards. */
export async function withContext<T>(body: (ctx: CommandContext) => Promise<T>): Promise<T> {
  const ctx = new CommandContext();
  try {
    return await body(ctx);
  } finally {
    await ctx.close();
  }
}
