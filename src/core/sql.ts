/**
 * The one helper through which every SQL identifier (schema, table, column name) passes.
 * Values are never formatted into SQL: they are always bound parameters — except in DDL, which
 * PostgreSQL cannot bind (a column default), where they pass through literal().
 */
import { escapeLiteral } from 'pg';

const MAX_IDENTIFIER_BYTES = 63; // PostgreSQL NAMEDATALEN - 1; longer names are silently truncated.

/** Quote one identifier for PostgreSQL: `a"b` → `"a""b"`. Throws on what Postgres would mangle. */
export function ident(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new Error('SQL identifier must be a non-empty string');
  if (name.includes('\u0000')) throw new Error('SQL identifier must not contain NUL');
  if (Buffer.byteLength(name, 'utf8') > MAX_IDENTIFIER_BYTES) {
    throw new Error(`SQL identifier "${name.slice(0, 20)}…" is longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quote a qualified name: identPath('cdp_data', 'ds_x') → "cdp_data"."ds_x". */
export function identPath(...parts: string[]): string {
  return parts.map(ident).join('.');
}

/** Escape LIKE wildcards so a user value matches literally inside a LIKE pattern (value is still bound). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A constant for DDL (DEFAULT of an added column): numbers and booleans as they are, text quoted by pg's escapeLiteral. */
export function literal(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('SQL literal must be a finite number');
    return String(value);
  }
  return escapeLiteral(value);
}
