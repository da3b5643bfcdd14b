import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { CaptionerError } from '@captioner/core';

/** Something the tests need is not installed; the message is one line naming what to install. */
export class MissingTestToolError extends CaptionerError {
  override readonly code = 'missing_test_tool';
}

/** The absolute path of `command` on `searchPath` (a PATH value), or undefined. */
export function findOnPath(command: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this directory.
    }
  }
  return undefined;
}
