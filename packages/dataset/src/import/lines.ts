import { createReadStream } from 'node:fs';
import type { Location, ProblemLog } from './problems';

export interface TextLine {
  /** 1-based line number. */
  line: number;
  /** The line without its `\n` / `\r\n`; undefined when the bytes are not valid UTF-8. */
  text: string | undefined;
}

const NEWLINE = 0x0a;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Streams a text file line by line as bytes, decoding each line on its own: an invalid byte sequence
 * spoils only its line (reported as `invalid_utf8`), never the rest of the file. A leading BOM is dropped.
 */
export async function* readLines(file: string): AsyncGenerator<TextLine> {
  let pending: Buffer = Buffer.alloc(0);
  let line = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    for (let end = data.indexOf(NEWLINE, start); end !== -1; end = data.indexOf(NEWLINE, start)) {
      line++;
      yield { line, text: decode(data.subarray(start, end)) };
      start = end + 1;
    }
    data = data.subarray(start);
    pending = Buffer.from(data);
  }
  if (pending.length > 0) yield { line: line + 1, text: decode(pending) };
}

function decode(bytes: Buffer): string | undefined {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
  try {
    // The decoder drops a BOM at the start of each call; only the first line can carry one.
    return strictUtf8.decode(bytes.subarray(0, end));
  } catch {
    return undefined;
  }
}

/**
 * The non-blank lines of an annotation file, each with its location for problem reports; a line that is
 * not valid UTF-8 is logged as `invalid_utf8` and skipped.
 */
export async function* readRecordLines(
  file: string,
  log: ProblemLog,
): AsyncGenerator<{ line: number; text: string; where: Location }> {
  for await (const { line, text } of readLines(file)) {
    const where = { file, line };
    if (text === undefined) {
      log.add('invalid_utf8', where, 'line is not valid UTF-8');
      continue;
    }
    if (text.trim().length === 0) continue;
    yield { line, text, where };
  }
}
