import type { Prisma } from './generated/sqlite/client';

/** A JSON column's value as Prisma returns it (jsonb on PostgreSQL, JSON text on SQLite, parsed alike). */
export type JsonValue = Prisma.JsonValue;

/**
 * A JSON column's value as `T`, or `fallback` when the column is null. The repositories are the only
 * writers of these columns, so the value has the shape they wrote; callers that need more parse it
 * with their own schema.
 */
export function jsonColumn<T>(value: JsonValue | null | undefined, fallback: T): T {
  return value === null || value === undefined ? fallback : (value as T);
}

/**
 * A value to store in a JSON column: exactly what `JSON.stringify` keeps (undefined fields dropped,
 * dates as ISO strings), so both providers store the same JSON the text columns used to hold.
 * A nullable column is left null by not writing it: Prisma refuses a plain `null` JSON value.
 */
export function toJsonColumn(value: unknown): Prisma.InputJsonValue {
  if (value === null || value === undefined)
    throw new TypeError('a JSON column value must not be null or undefined');
  return JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
}

/**
 * The stored, fully resolved run config of a run row: the one place that knows how the column is
 * stored. Callers parse the section they own with its package's schema.
 */
export function readRunConfig(run: { config: JsonValue }): unknown {
  return run.config;
}
