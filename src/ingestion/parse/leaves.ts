/**
 * Whether a record schema can be checked field by field, and what each field's own check is. A
 * row's record is built from columns that are all schema fields, so when every object on the way
 * to them says no more than `type`, `properties`, `additionalProperties` and annotations, the
 * record is valid exactly when each value is valid against its field's own schema — and a field
 * whose schema says no more than its type (which the cell conversion already ensured) needs no
 * check at all. Anything else (`required`, combinators, references…) keeps the whole-record check.
 */
import type { ColumnType } from '../copy-format';

const ANNOTATIONS = new Set(['title', 'description', '$comment', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly']);
const OBJECT_KEYWORDS = new Set([...ANNOTATIONS, '$schema', 'type', 'properties', 'additionalProperties']);
/** The JSON type a cell of each kind converts to: a field schema of that bare type holds nothing more. */
const KIND_TYPES: Partial<Record<ColumnType, string>> = { string: 'string', integer: 'integer', number: 'number', boolean: 'boolean', date: 'string', 'date-time': 'string' };
/** Formats the conversion already ensures: a date cell is a real calendar day of a year ≥ 1 (date-times are checked). */
const KIND_FORMATS: Partial<Record<ColumnType, string>> = { date: 'date' };

type Schema = Record<string, unknown>;

/**
 * Per column (by field path and kind): the field's schema when it must be checked, null when its
 * type says it all; or null for the whole list when the schema cannot be checked field by field.
 */
export function fieldSchemas(schema: Schema, columns: readonly { path: string; type: ColumnType }[]): (Schema | null)[] | null {
  const out: (Schema | null)[] = [];
  for (const c of columns) {
    let node: Schema | undefined = schema;
    for (const segment of c.path.split('.')) {
      if (!isPlainObject(node)) return null;
      for (const key of Object.keys(node)) if (!OBJECT_KEYWORDS.has(key)) return null;
      const props: unknown = node.properties;
      if (!isPlainObject(props) || !Object.hasOwn(props, segment)) return null;
      node = props[segment] as Schema;
    }
    if (!isPlainObject(node)) return null;
    const leaf = node;
    const bare = c.type === 'string[]' ? isBareList(leaf) : Object.keys(leaf).every((k) => ANNOTATIONS.has(k) || (k === 'type' && leaf.type === KIND_TYPES[c.type]) || (k === 'format' && leaf.format === KIND_FORMATS[c.type]));
    out.push(bare ? null : node);
  }
  return out;
}

/** An array of strings and nothing more: what a list cell's conversion already ensures. */
function isBareList(leaf: Schema): boolean {
  const items = leaf.items;
  if (items !== undefined && !(isPlainObject(items) && Object.keys(items).every((k) => ANNOTATIONS.has(k) || (k === 'type' && items.type === 'string')))) return false;
  return Object.keys(leaf).every((k) => ANNOTATIONS.has(k) || k === 'items' || (k === 'type' && leaf.type === 'array'));
}

function isPlainObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
