/**
 * Text PostgreSQL cannot store: NUL characters (text and jsonb refuse them) and lone UTF-16
 * surrogates (not encodable as UTF-8; jsonb refuses `\ud800`). JSON and query strings can carry
 * both, so every JSON body and query string is checked once, before any handler sees it.
 */
import { ruleError } from './errors';

const MAX_DEPTH = 64;

/** Pointer and reason of the first unstorable string (values and keys) in a parsed JSON value, or null. */
export function findUnstorableText(value: unknown, pointer = '', depth = 0): { pointer: string; rule: string } | null {
  if (typeof value === 'string') return unstorable(value) ? { pointer, rule: unstorable(value)! } : null;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findUnstorableText(value[i], `${pointer}/${i}`, depth + 1);
      if (hit) return hit;
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    const at = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const keyRule = unstorable(k);
    if (keyRule) return { pointer: at, rule: keyRule };
    const hit = findUnstorableText(v, at, depth + 1);
    if (hit) return hit;
  }
  return null;
}

function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'nul_character';
  if (!s.isWellFormed()) return 'lone_surrogate';
  return null;
}

/** Throws a 422 naming the field when a body or query holds text PostgreSQL cannot store. */
export function assertStorableText(value: unknown, where: 'body' | 'query'): void {
  const hit = findUnstorableText(value, where === 'query' ? '/query' : '');
  if (!hit) return;
  throw ruleError(
    hit.pointer,
    hit.rule,
    hit.rule === 'nul_character' ? 'contains a NUL character (\\u0000), which cannot be stored; remove it' : 'contains a lone UTF-16 surrogate, which is not valid Unicode text; send well-formed text',
  );
}
