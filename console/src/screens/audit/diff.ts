/** Before/after of an audit entry as the rows that differ (leaf path → JSON text). */

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  const isObject = value !== null && typeof value === 'object';
  const primitiveArray = Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object');
  if (!isObject || primitiveArray || (Array.isArray(value) && value.length === 0)) {
    out.set(prefix || '/', JSON.stringify(value));
    return;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  // An empty object inside a document is a value; the empty document itself (e.g. no labels yet) is not.
  if (entries.length === 0 && prefix) out.set(prefix, '{}');
  for (const [k, v] of entries) flatten(v, prefix ? `${prefix} › ${k}` : k, out);
}

export interface ChangeRow {
  path: string;
  before?: string;
  after?: string;
}

export function changes(before: unknown, after: unknown): ChangeRow[] {
  const b = new Map<string, string>();
  const a = new Map<string, string>();
  if (before !== undefined) flatten(before, '', b);
  if (after !== undefined) flatten(after, '', a);
  const paths = [...new Set([...b.keys(), ...a.keys()])].sort();
  return paths.filter((p) => b.get(p) !== a.get(p)).map((p) => ({ path: p, before: b.get(p), after: a.get(p) }));
}
