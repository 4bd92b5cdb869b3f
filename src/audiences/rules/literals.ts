/**
 * Literals and field paths, checked the same way by both forms (the text parser and the JSON
 * parser), and the canonical shapes both give (see CANONICAL AST in types.ts).
 */
import { MAX_RELATIVE_OFFSET, RelativeUnit, RuleAst, RuleCondition, RuleLiteral } from './types';

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
export const RESERVED = new Set(['and', 'or', 'not', 'like', 'in', 'notin', 'true', 'false', 'null']);

export const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-](\d{2}):(\d{2}))$/;

export function validDay(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

/** A problem with a literal, or null. */
export function dateProblem(s: string): string | null {
  const m = DATE.exec(s);
  if (!m || !validDay(+m[1], +m[2], +m[3])) return `date(${JSON.stringify(s)}) is not a calendar date: write date("YYYY-MM-DD"), e.g. date("2024-01-31")`;
  return null;
}

export function datetimeProblem(s: string): string | null {
  const m = DATETIME.exec(s);
  const ok =
    m &&
    validDay(+m[1], +m[2], +m[3]) &&
    +m[4] <= 23 &&
    +m[5] <= 59 &&
    (m[6] === undefined || +m[6] <= 59) &&
    (m[9] === undefined || (+m[9] <= 15 && +m[10] <= 59));
  if (!ok) {
    return `datetime(${JSON.stringify(s)}) is not an RFC 3339 date-time with an offset: write e.g. datetime("2024-01-31T10:00:00Z") or datetime("2024-01-31T19:00:00+09:00")`;
  }
  return null;
}

export function stringProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'strings may not contain the NUL character (\\u0000)';
  if (/(?:[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/.test(s)) return 'strings may not contain unpaired UTF-16 surrogates';
  return null;
}

export function numberProblem(n: number): string | null {
  if (!Number.isFinite(n)) return 'numbers must be finite';
  // Beyond 2^53 every double is a whole number that may not be the one written (and no bigint).
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) return `${n} is too large: numbers must lie within ±9007199254740991`;
  return null;
}

export function offsetProblem(n: number): string | null {
  if (!Number.isInteger(n) || Math.abs(n) > MAX_RELATIVE_OFFSET) return `a relative date offset is a whole number between -${MAX_RELATIVE_OFFSET} and ${MAX_RELATIVE_OFFSET}`;
  return null;
}

export function relative(base: 'now' | 'today', offset: number, unit: RelativeUnit): RuleLiteral {
  // Canonical: no offset means "days", and -0 is 0.
  return offset === 0 ? { type: 'relative', base, offset: 0, unit: 'days' } : { type: 'relative', base, offset, unit };
}

export function fieldPathProblem(path: string): string | null {
  if (!FIELD_PATH.test(path)) return `"${path}" is not a field path: use dotted names like homeAddress.city`;
  if (RESERVED.has(path.toLowerCase())) return `a field may not be called "${path}" (a keyword of the rule language)`;
  return null;
}

/**
 * One spelling per meaning: a leading `(?i)` in a matches pattern (PQL's Java-regex way to ignore
 * case) becomes `caseSensitive: false`, so `f.matches("(?i)^a")` and `f.matches("^a", false)` are one AST.
 */
export function canonicalCase(cond: RuleCondition): RuleCondition {
  if (cond.op === 'matches' && cond.value.type === 'string' && cond.value.value.startsWith('(?i)')) {
    let pattern = cond.value.value;
    while (pattern.startsWith('(?i)')) pattern = pattern.slice(4);
    cond.value = { type: 'string', value: pattern };
    cond.caseSensitive = false;
  }
  return cond;
}

export function group(type: 'and' | 'or', rules: RuleAst[]): RuleAst {
  if (rules.length === 1) return rules[0];
  return { type, rules: rules.flatMap((r) => (r.type === type ? r.rules : [r])) };
}
