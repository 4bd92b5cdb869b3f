/**
 * Text PostgreSQL cannot store: NUL characters (text and jsonb refuse them) and lone UTF-16
 * surrogates (not encodable as UTF-8; jsonb refuses `\ud800`). JSON and query strings can carry
 * both, so every JSON body and query string is checked once, before any handler sees it.
 *
 * The walk is iterative and refuses documents nested deeper than MAX_JSON_DEPTH: JSON.parse accepts
 * a million levels in a 4 MB body, and a depth past which the walk stopped looking let a NUL through
 * to the database (and recursive code such as JSON.stringify overflow the stack on such input).
 */
import { ruleError } from './errors';

/** Objects and arrays inside one another, the outermost one included; far above any body our schemas describe. */
export const MAX_JSON_DEPTH = 64;

export type TextRule = 'nul_character' | 'lone_surrogate' | 'max_depth';

interface Frame {
  node: Record<string, unknown> | unknown[];
  keys: string[] | null; // null: an array
  next: number;
}

/**
 * Pointer and rule of the first unstorable string (values and keys) in a parsed JSON value, or of
 * the first object/array nested deeper than `maxDepth` levels; null when there is none.
 */
export function findUnstorableText(value: unknown, pointer = '', maxDepth = MAX_JSON_DEPTH): { pointer: string; rule: TextRule } | null {
  if (typeof value === 'string') {
    const rule = unstorable(value);
    return rule ? { pointer, rule } : null;
  }
  if (!isContainer(value)) return null;
  if (maxDepth < 1) return { pointer, rule: 'max_depth' };
  const stack: Frame[] = [frameOf(value)];
  const path: string[] = []; // path[i]: the key in stack[i] that leads to stack[i + 1]
  const at = (key: string) => pointer + [...path, key].map((k) => `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const size = top.keys ? top.keys.length : (top.node as unknown[]).length;
    if (top.next >= size) {
      stack.pop();
      path.pop();
      continue;
    }
    const i = top.next++;
    const key = top.keys ? top.keys[i] : String(i);
    if (top.keys) {
      const keyRule = unstorable(key);
      if (keyRule) return { pointer: at(key), rule: keyRule };
    }
    const child = top.keys ? (top.node as Record<string, unknown>)[key] : (top.node as unknown[])[i];
    if (typeof child === 'string') {
      const rule = unstorable(child);
      if (rule) return { pointer: at(key), rule };
    } else if (isContainer(child)) {
      if (stack.length >= maxDepth) return { pointer: at(key), rule: 'max_depth' };
      path.push(key);
      stack.push(frameOf(child));
    }
  }
  return null;
}

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === 'object';
}

function frameOf(node: Record<string, unknown> | unknown[]): Frame {
  return { node, keys: Array.isArray(node) ? null : Object.keys(node), next: 0 };
}

function unstorable(s: string): TextRule | null {
  if (s.includes('\u0000')) return 'nul_character';
  if (!s.isWellFormed()) return 'lone_surrogate';
  return null;
}

const MESSAGES: Record<TextRule, string> = {
  nul_character: 'contains a NUL character (\\u0000), which cannot be stored; remove it',
  lone_surrogate: 'contains a lone UTF-16 surrogate, which is not valid Unicode text; send well-formed text',
  max_depth: `is nested deeper than ${MAX_JSON_DEPTH} levels of objects and arrays; flatten the document`,
};

/** Throws a 422 naming the field when a body or query holds text PostgreSQL cannot store, or nests too deep. */
export function assertStorableText(value: unknown, where: 'body' | 'query'): void {
  const hit = findUnstorableText(value, where === 'query' ? '/query' : '');
  if (!hit) return;
  throw ruleError(hit.pointer, hit.rule, MESSAGES[hit.rule]);
}
