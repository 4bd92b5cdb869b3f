/**
 * The audience rule language (Adobe PQL subset, anchors §5): two equal forms, one AST, one compiler.
 * Pure: no I/O. Parse → checkRule (against the fields the account's prospect datasets hold) →
 * compileRule (a parameterised predicate over one dataset's typed columns).
 *
 * TEXT FORM (whitespace-insensitive; keywords, function and method names case-insensitive, field paths not)
 *
 *   rule      := or
 *   or        := and ("or" and)*                       precedence: not > and > or
 *   and       := unary ("and" unary)*
 *   unary     := ("not" | "!") unary | "(" or ")" | condition        PQL's !(…) is not (…)
 *   condition := path ("=" | "!=" | "<>" | ">" | ">=" | "<" | "<=") value
 *              | path "like" value                      SQL LIKE: % any run, _ one character, \ escapes
 *              | path ("in" | "notIn") list
 *              | strfn "(" path "," value ("," bool)? ")"
 *              | ("isNull" | "isNotNull") "(" path ")"
 *              | "intersects" "(" path "," list ")"     string-array fields
 *              | path "." method                        PQL's method form, e.g. homeAddress.city.startsWith("Se")
 *   strfn     := "startsWith" | "endsWith" | "contains" | "doesNotStartWith" | "doesNotEndWith" | "doesNotContain" | "matches"
 *   method    := (strfn | "equals" | "notEqualTo") "(" value ("," bool)? ")"   bool: case-sensitive? (default true)
 *              | ("isNull" | "isNotNull") "(" ")"
 *              | "intersects" "(" list ")" | "includes" "(" value ")"      includes(x) is intersects([x])
 *   list      := "[" (value ("," value)*)? "]"
 *   value     := string | number | "true" | "false"
 *              | "date(" string ")" | "date(" year "," month "," day ")" | "datetime(" string ")"
 *                    date("2024-01-31") = date(2024, 1, 31); datetime("2024-01-31T10:00:00Z")
 *              | ("now" | "today") ("()")? (("+" | "-") unit "(" integer ")")?   unit: hours days weeks months years
 *              | "yesterday" | "tomorrow"               today - days(1), today + days(1)
 *   path      := [A-Za-z_][A-Za-z0-9_]* ("." [A-Za-z_][A-Za-z0-9_]*)*
 *   string    := "…" with JSON escapes (\" \\ \/ \b \f \n \r \t \uXXXX); no NUL, no lone surrogates
 *   number    := "-"? digits ("." digits)? (e|E [+-]? digits)?
 *
 * Both call forms mean the same and give one AST: `startsWith(f, "x")` = `f.startsWith("x")` =
 * `f.startsWith("x", true)`; `f.equals("x")` is `f = "x"`, `f.notEqualTo("x")` is `f != "x"`. The
 * method is the last path segment before "(": a field whose last segment is a method name can only be
 * compared with operators. A single-segment field named like a keyword (and, or, not, like, in, notIn,
 * true, false, null) cannot be written; the JSON form rejects it too so both forms stay equal.
 * There is no null literal: use isNull(f) / f.isNull().
 *
 * REFUSED PQL (422 with the position): prospect audiences are batch-only over prospect attributes,
 * with no time-series events, so event queries are refused with rule `event-query` — paths under
 * xEvent or X (X.timestamp), a bare timestamp, `occurs`, chain(…), count/sum/avg/min/max/any/all(…)
 * and `select … from`. Other PQL this subset lacks (filter, map, distinct, topN, intersection,
 * subsetOf, supersetOf, regexGroup, inSegment, if, getMonth, currentYear…) is refused with rule
 * `unsupported`. PQL's relative dates for attributes are its timestamp literals (today, now,
 * yesterday, tomorrow) and `occurs`; `occurs` is refused with the comparison to write instead
 * (`birthDate >= today - days(30)`), since in PQL it is the event-window operator.
 *
 * JSON FORM (schemas/audience-rule.json validates it)
 *
 *   Rule      = { "and": Rule[] } | { "or": Rule[] } | { "not": Rule } | Condition
 *   Condition = { "field": path, "op": "=" | "!=" | ">" | ">=" | "<" | "<=" | "like" | "startsWith"
 *                 | "endsWith" | "contains" | "doesNotStartWith" | "doesNotEndWith" | "doesNotContain"
 *                 | "matches", "value": Value, "caseSensitive"?: boolean }
 *             | { "field": path, "op": "in" | "notIn" | "intersects", "value": Value[] }
 *             | { "field": path, "op": "isNull" | "isNotNull" }
 *   Value     = string | number | boolean
 *             | { "date": "2024-01-31" } | { "datetime": "2024-01-31T10:00:00Z" }
 *             | { "relative": { "base": "now" | "today", "offset"?: integer (default 0), "unit"?: unit (default "days") } }
 *   caseSensitive (default true) is allowed on = != and the string functions, not on like, <, >, in…
 *
 *   e.g. { "and": [ { "field": "consumer.age", "op": ">=", "value": 30 },
 *                   { "not": { "field": "consumer.income", "op": "isNull" } } ] }
 *
 * CANONICAL AST: both parsers flatten nested and/or of the same kind (`a and (b and c)` is one `and`
 * of three), drop single-member groups, turn -0 into 0 and give a zero relative offset the unit
 * "days". `caseSensitive` appears only as false; a matches pattern's leading `(?i)` (PQL's way, from
 * Java regexes) becomes caseSensitive: false. ruleToText/ruleToJson print an AST so that parsing it
 * again gives a deep-equal AST; ruleToText prints case-insensitive conditions and doesNot… in PQL's
 * method form (`homeAddress.city.startsWith("se", false)`), the others as before.
 *
 * SEMANTICS (decisions)
 * - Missing values never match (PQL): a condition on a null field is false, including `!=`,
 *   `notEqualTo`, `notIn` (PQL: "notIn also ensures that neither value is null") and the negated
 *   string checks: `city.doesNotStartWith("Se")` leaves out profiles without a city, as PQL's string
 *   functions give no match on null. So doesNotStartWith is NOT `not startsWith`: `not` is plain
 *   two-valued negation: `not (age >= 30)` and `!(city.startsWith("Se"))` DO include profiles
 *   without the value, so `X` and `not X` always split the population. Compiled as `(X) is not true`.
 * - String comparisons are case-sensitive by default (`=`, `like`, startsWith…, `matches`, `in`), as
 *   in PQL; the optional `false` argument (JSON caseSensitive: false) makes = != and the string
 *   functions compare case-insensitively: lower(f) = lower(v), ILIKE with the value's wildcards
 *   escaped, `~*` for matches (PostgreSQL's Unicode-aware case folding). `like` and `in` have no
 *   case argument in PQL. Ordering (`<`, `>`…) is by code point (COLLATE "C"), not by the locale.
 * - `matches` is a PostgreSQL ARE (`~`), unanchored. It must compile as a JavaScript regex too, and
 *   constructs whose meaning differs or that PostgreSQL lacks are refused (named groups, \k, \p{…},
 *   \b/\B outside brackets: PostgreSQL reads \b as backspace; use \y / \Y for word boundaries).
 *   What else PostgreSQL refuses (a{256}, [[:foo:]], \1 without a group…) only PostgreSQL knows: the
 *   service compiles each pattern there (regexPatterns) and passes the refusals to checkRule.
 * - startsWith/endsWith/contains and their doesNot… negations match their value literally (LIKE
 *   wildcards escaped); `like` takes the user's pattern as is (`\` escapes % and _).
 * - Dates: a date field compares with date(…) or today±n (now has a time of day: refused there);
 *   a date-time field with datetime(…), date(…) (midnight in the database session's time zone) or
 *   now()/today()±n. datetime literals need an explicit offset (Z or ±hh:mm). Relative dates are
 *   computed by PostgreSQL at evaluation time (`now()`, `current_date`, `make_interval`), so a saved
 *   rule's window moves with each evaluation.
 * - Numbers: integers bind as bigint, others as numeric; an integer field takes only whole numbers
 *   for =, !=, in and notIn.
 */
import { FieldError, UnprocessableRequest } from '../core/errors';
import { escapeLike } from '../core/sql';
import { escapePointer } from '../core/validation';
import type { ValueKind } from '../datasets/storage';

// ---- AST ------------------------------------------------------------------------------------------

export const COMPARISON_OPS = ['=', '!=', '>', '>=', '<', '<='] as const;
export const PATTERN_OPS = ['like', 'startsWith', 'endsWith', 'contains', 'doesNotStartWith', 'doesNotEndWith', 'doesNotContain', 'matches'] as const;
export const LIST_OPS = ['in', 'notIn', 'intersects'] as const;
export const NULL_OPS = ['isNull', 'isNotNull'] as const;
export const RULE_OPS = [...COMPARISON_OPS, ...PATTERN_OPS, ...LIST_OPS, ...NULL_OPS] as const;
export const RELATIVE_UNITS = ['hours', 'days', 'weeks', 'months', 'years'] as const;
/** Ops that take PQL's optional case-sensitivity argument (`caseSensitive: false` in the AST). */
export const CASE_OPS = ['=', '!=', 'startsWith', 'endsWith', 'contains', 'doesNotStartWith', 'doesNotEndWith', 'doesNotContain', 'matches'] as const;

export type ComparisonOp = (typeof COMPARISON_OPS)[number];
export type PatternOp = (typeof PATTERN_OPS)[number];
export type ScalarOp = ComparisonOp | PatternOp;
export type ListOp = (typeof LIST_OPS)[number];
export type NullOp = (typeof NULL_OPS)[number];
export type RuleOp = (typeof RULE_OPS)[number];
export type RelativeUnit = (typeof RELATIVE_UNITS)[number];

export type RuleLiteral =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  /** `YYYY-MM-DD`, a real calendar date. */
  | { type: 'date'; value: string }
  /** RFC 3339 with an offset, as written. */
  | { type: 'datetime'; value: string }
  /** `base + offset unit`, computed by PostgreSQL when the rule runs. */
  | { type: 'relative'; base: 'now' | 'today'; offset: number; unit: RelativeUnit };

export type RuleCondition =
  /** caseSensitive is present only as `false` (PQL's default is true), so equal rules stay deep-equal. */
  | { type: 'condition'; field: string; op: ScalarOp; value: RuleLiteral; caseSensitive?: false }
  | { type: 'condition'; field: string; op: ListOp; value: RuleLiteral[] }
  | { type: 'condition'; field: string; op: NullOp };

export type RuleAst = { type: 'and'; rules: RuleAst[] } | { type: 'or'; rules: RuleAst[] } | { type: 'not'; rule: RuleAst } | RuleCondition;

/** The JSON form (see the header comment). */
export type RuleJsonValue =
  | string
  | number
  | boolean
  | { date: string }
  | { datetime: string }
  | { relative: { base: 'now' | 'today'; offset: number; unit: RelativeUnit } };
export type RuleJson =
  | { and: RuleJson[] }
  | { or: RuleJson[] }
  | { not: RuleJson }
  | { field: string; op: RuleOp; value?: RuleJsonValue | RuleJsonValue[]; caseSensitive?: false };

/** A field a rule may name, as the caller knows it from the schemas and dataset columns. */
export interface RuleField {
  path: string;
  kind: ValueKind;
  system?: boolean;
  /** Event (time-series) data: prospect audiences are batch-only over profile attributes. */
  timeSeries?: boolean;
  classKind: 'prospect' | 'first_party';
}

export const MAX_LIST_VALUES = 1000;
export const MAX_DEPTH = 64;
export const MAX_RELATIVE_OFFSET = 100_000;
export const MAX_REGEX_LENGTH = 1000;

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const RESERVED = new Set(['and', 'or', 'not', 'like', 'in', 'notin', 'true', 'false', 'null']);
/** Call names, lower-cased (a Map: `constructor(x)` must not find Object's). */
const CALLS = new Map<string, PatternOp | ListOp | NullOp>([
  ['startswith', 'startsWith'],
  ['endswith', 'endsWith'],
  ['contains', 'contains'],
  ['doesnotstartwith', 'doesNotStartWith'],
  ['doesnotendwith', 'doesNotEndWith'],
  ['doesnotcontain', 'doesNotContain'],
  ['matches', 'matches'],
  ['isnull', 'isNull'],
  ['isnotnull', 'isNotNull'],
  ['intersects', 'intersects'],
]);
/**
 * PQL method names (`field.startsWith("x", false)`), lower-cased → the AST op they mean. `equals` and
 * `notEqualTo` are `=` and `!=`; `includes(x)` is `intersects([x])` (the array holds the value).
 */
const METHODS = new Map<string, ScalarOp | ListOp | NullOp | 'includes'>([
  ...[...CALLS].filter(([, op]) => op !== 'like'),
  ['equals', '='],
  ['notequalto', '!='],
  ['includes', 'includes'],
]);
const EVENT_WHY = 'prospect audiences are evaluated in batch over prospect attributes only: there are no time-series events to read';
/** PQL a prospect audience may not use, by call or method name (lower-cased) → why, and what to write instead. */
const REFUSED_CALLS = new Map<string, { rule: string; message: string }>([
  ...['count', 'sum', 'avg', 'min', 'max', 'any', 'all', 'select', 'chain', 'occurs'].map(
    (n) => [n.toLowerCase(), { rule: 'event-query', message: `${n}(…) aggregates or sequences events, and ${EVENT_WHY}` }] as const,
  ),
  ...['filter', 'map', 'distinct', 'groupBy', 'topN', 'bottomN', 'head', 'intersection', 'subsetOf', 'supersetOf', 'regexGroup', 'inSegment', 'if', 'currentMonth', 'currentYear', 'currentDayOfMonth', 'getMonth', 'getYear', 'getDayOfMonth'].map(
    (n) =>
      [
        n.toLowerCase(),
        { rule: 'unsupported', message: `${n}(…) is PQL that prospect audiences do not support: compare a prospect attribute with a value (=, in, startsWith, intersects, isNull…; dates with date(…), today or now)` },
      ] as const,
  ),
]);

// Where each node came from, kept beside the AST so ASTs from both forms stay deep-equal.
interface Loc {
  line: number;
  column: number;
}
// Text positions stay offsets until an error needs a line and column.
type TextOrigin = { form: 'text'; locate: (offset: number) => Loc; field: number; op: number; value?: number; items?: number[] };
type Origin = TextOrigin | { form: 'json'; pointer: string };
const origins = new WeakMap<object, Origin>();

function syntaxErrors(errors: FieldError[]): never {
  const detail = `The audience rule is not valid: ${errors
    .slice(0, 5)
    .map((e) => e.message)
    .join('; ')}${errors.length > 5 ? `; and ${errors.length - 5} more` : ''}`;
  throw new UnprocessableRequest(detail, { errors });
}

// ---- literals (shared by both forms) --------------------------------------------------------------

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-](\d{2}):(\d{2}))$/;

function validDay(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

/** A problem with a literal, or null. */
function dateProblem(s: string): string | null {
  const m = DATE.exec(s);
  if (!m || !validDay(+m[1], +m[2], +m[3])) return `date(${JSON.stringify(s)}) is not a calendar date: write date("YYYY-MM-DD"), e.g. date("2024-01-31")`;
  return null;
}

function datetimeProblem(s: string): string | null {
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

function stringProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'strings may not contain the NUL character (\\u0000)';
  if (/(?:[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/.test(s)) return 'strings may not contain unpaired UTF-16 surrogates';
  return null;
}

function numberProblem(n: number): string | null {
  if (!Number.isFinite(n)) return 'numbers must be finite';
  // Beyond 2^53 every double is a whole number that may not be the one written (and no bigint).
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) return `${n} is too large: numbers must lie within ±9007199254740991`;
  return null;
}

function offsetProblem(n: number): string | null {
  if (!Number.isInteger(n) || Math.abs(n) > MAX_RELATIVE_OFFSET) return `a relative date offset is a whole number between -${MAX_RELATIVE_OFFSET} and ${MAX_RELATIVE_OFFSET}`;
  return null;
}

function relative(base: 'now' | 'today', offset: number, unit: RelativeUnit): RuleLiteral {
  // Canonical: no offset means "days", and -0 is 0.
  return offset === 0 ? { type: 'relative', base, offset: 0, unit: 'days' } : { type: 'relative', base, offset, unit };
}

function fieldPathProblem(path: string): string | null {
  if (!FIELD_PATH.test(path)) return `"${path}" is not a field path: use dotted names like homeAddress.city`;
  if (RESERVED.has(path.toLowerCase())) return `a field may not be called "${path}" (a keyword of the rule language)`;
  return null;
}

// ---- text form: lexer -----------------------------------------------------------------------------

type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'punct' | 'error' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  /** Decoded string or number. */
  value?: string | number;
  /** kind 'error': what the lexer could not read, thrown when the parser gets there. */
  error?: TextSyntaxError;
}

class TextSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    /** `syntax`, or why valid PQL is refused here (`event-query`, `unsupported`). */
    readonly rule = 'syntax',
  ) {
    super(message);
  }
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

/**
 * The tokens up to the first thing that cannot be read, which becomes an `error` token: the parser
 * throws it only when it gets there, so refused PQL earlier in the rule (`chain(…[A: …])`) is
 * reported as refused, not as a stray character.
 */
function lex(text: string): Token[] {
  const tokens: Token[] = [];
  try {
    lexInto(text, tokens);
  } catch (err) {
    if (!(err instanceof TextSyntaxError)) throw err;
    tokens.push({ kind: 'error', text: '', start: err.offset, error: err });
  }
  tokens.push({ kind: 'eof', text: '', start: text.length });
  return tokens;
}

function lexInto(text: string, tokens: Token[]): void {
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (IDENT_START.test(c)) {
      i++;
      for (;;) {
        while (i < text.length && IDENT_PART.test(text[i])) i++;
        if (text[i] !== '.') break;
        if (i + 1 >= text.length || !IDENT_START.test(text[i + 1])) {
          throw new TextSyntaxError('expected a field name after "." (path segments start with a letter or _)', i + 1);
        }
        i++;
      }
      tokens.push({ kind: 'ident', text: text.slice(start, i), start });
      continue;
    }
    if (DIGIT.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i))!;
      i += m[0].length;
      if (i < text.length && (IDENT_PART.test(text[i]) || text[i] === '.')) throw new TextSyntaxError(`expected a number, found "${text.slice(start, i + 1)}"`, start);
      tokens.push({ kind: 'number', text: m[0], start, value: Number(m[0]) });
      continue;
    }
    if (c === '"') {
      const { value, end } = readString(text, i);
      i = end;
      tokens.push({ kind: 'string', text: text.slice(start, end), start, value });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '==') throw new TextSyntaxError('equality is "=", not "=="', i);
    if (two === '>=' || two === '<=' || two === '!=' || two === '<>') {
      tokens.push({ kind: 'op', text: two, start });
      i += 2;
      continue;
    }
    if (c === '=' || c === '>' || c === '<') {
      tokens.push({ kind: 'op', text: c, start });
      i++;
      continue;
    }
    if ('()[],+-'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, start });
      i++;
      continue;
    }
    if (c === "'") throw new TextSyntaxError("strings use double quotes: \"…\", not '…'", i);
    // PQL's `!(…)` is `not (…)`; a bare `!x`, `&&` and `||` are not PQL.
    if (c === '!' && /^!\s*\(/.test(text.slice(i, i + 100))) {
      tokens.push({ kind: 'punct', text: c, start });
      i++;
      continue;
    }
    if (two === '&&' || two === '||' || c === '!') throw new TextSyntaxError('use the keywords and, or, not (or !(…) around a condition)', i);
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    throw new TextSyntaxError(`unexpected character ${JSON.stringify(ch)}`, i);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function readString(text: string, open: number): { value: string; end: number } {
  let i = open + 1;
  let out = '';
  for (;;) {
    if (i >= text.length) throw new TextSyntaxError('expected a closing " for the string that starts here', open);
    const c = text[i];
    if (c === '"') break;
    if (c === '\\') {
      const e = text[i + 1];
      if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
        out += SIMPLE_ESCAPES[e];
        i += 2;
      } else if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new TextSyntaxError('expected four hex digits after \\u', i);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        throw new TextSyntaxError(`unknown escape "\\${e ?? ''}": use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX`, i);
      }
      continue;
    }
    if (c < ' ') throw new TextSyntaxError('control characters (such as a line break) must be escaped inside strings: \\n, \\t, \\uXXXX', i);
    out += c;
    i++;
  }
  const problem = stringProblem(out);
  if (problem) throw new TextSyntaxError(problem, open);
  return { value: out, end: i + 1 };
}

// ---- text form: parser ----------------------------------------------------------------------------

function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the rule';
  if (t.kind === 'string') return `the string ${t.text.length > 40 ? t.text.slice(0, 37) + '…"' : t.text}`;
  return `"${t.text}"`;
}

class TextParser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly locOf: (offset: number) => Loc,
  ) {}

  private get peek(): Token {
    const t = this.tokens[this.pos];
    if (t.error) throw t.error;
    return t;
  }
  private next(): Token {
    const t = this.peek;
    this.pos++;
    return t;
  }
  private fail(expected: string, t: Token = this.peek): never {
    throw new TextSyntaxError(`expected ${expected}, found ${describe(t)}`, t.start);
  }
  private isKeyword(word: string, t: Token = this.peek): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === word;
  }
  private isPunct(p: string, t: Token = this.peek): boolean {
    return t.kind === 'punct' && t.text === p;
  }
  private expectPunct(p: string, expected = `"${p}"`): Token {
    if (!this.isPunct(p)) this.fail(expected);
    return this.next();
  }

  parseRule(): RuleAst {
    const rule = this.parseOr();
    if (this.pos < this.tokens.length - 1) this.fail(this.isPunct(')') ? 'the end of the rule (this ")" has no matching "(")' : '"and", "or" or the end of the rule');
    return rule;
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) throw new TextSyntaxError(`the rule nests deeper than ${MAX_DEPTH} levels`, t.start);
  }

  private parseOr(): RuleAst {
    const rules = [this.parseAnd()];
    while (this.isKeyword('or')) {
      this.next();
      rules.push(this.parseAnd());
    }
    return group('or', rules);
  }

  private parseAnd(): RuleAst {
    const rules = [this.parseUnary()];
    while (this.isKeyword('and')) {
      this.next();
      rules.push(this.parseUnary());
    }
    return group('and', rules);
  }

  private parseUnary(): RuleAst {
    const t = this.peek;
    // `!(…)` is PQL's spelling of `not (…)` (the lexer only makes a "!" token before a "(").
    if (this.isKeyword('not') || this.isPunct('!')) {
      this.next();
      this.enter(t);
      const rule: RuleAst = { type: 'not', rule: this.parseUnary() };
      this.depth--;
      return rule;
    }
    if (this.isPunct('(')) {
      this.next();
      this.enter(t);
      const rule = this.parseOr();
      this.depth--;
      this.expectPunct(')', '")" or "and" / "or"');
      return rule;
    }
    return this.parseCondition();
  }

  /** PQL over events (xEvent, X.timestamp…) cannot be a prospect rule: say so where it starts. */
  private refuseEvents(t: Token): void {
    const head = t.text.split('.')[0];
    if (head.toLowerCase() === 'xevent' || (head === 'X' && t.text.includes('.')) || t.text === 'timestamp') {
      throw new TextSyntaxError(`"${t.text}" is event (time-series) data, and ${EVENT_WHY}`, t.start, 'event-query');
    }
  }

  private parseCondition(): RuleAst {
    const t = this.peek;
    if (t.kind !== 'ident' || RESERVED.has(t.text.toLowerCase())) this.fail('a condition (a field, a function such as isNull(…), "not" or "(")');
    this.refuseEvents(t);
    const lower = t.text.toLowerCase();
    if (lower === 'select' && this.tokens[this.pos + 1].kind === 'ident') {
      throw new TextSyntaxError(`select … from … reads event arrays, and ${EVENT_WHY}`, t.start, 'event-query');
    }
    if (this.isPunct('(', this.tokens[this.pos + 1])) {
      const call = CALLS.get(lower);
      if (call) return this.parseCall(call);
      const dot = t.text.lastIndexOf('.');
      const name = t.text.slice(dot + 1);
      const refused = REFUSED_CALLS.get(name.toLowerCase());
      if (refused) throw new TextSyntaxError(refused.message, t.start + dot + 1, refused.rule);
      const method = dot > 0 ? METHODS.get(name.toLowerCase()) : undefined;
      if (method) return this.parseMethod(method, t, dot);
      throw new TextSyntaxError(
        dot > 0
          ? `unknown method "${name}" on "${t.text.slice(0, dot)}": use startsWith, endsWith, contains, doesNotStartWith, doesNotEndWith, doesNotContain, equals, notEqualTo, matches, isNull, isNotNull, intersects or includes`
          : ['date', 'datetime', 'now', 'today'].includes(lower)
            ? `${t.text}(…) is a value: put the field first, e.g. birthDate >= ${lower}(…)`
            : `unknown function "${t.text}": use startsWith, endsWith, contains, matches, isNull, isNotNull or intersects (or PQL's method form, e.g. homeAddress.city.startsWith("Se"))`,
        dot > 0 ? t.start + dot + 1 : t.start,
      );
    }
    const fieldToken = this.parseField();
    const opToken = this.peek;
    let cond: RuleCondition;
    let value: number | undefined;
    let items: number[] | undefined;
    if (opToken.kind === 'op') {
      this.next();
      const op = (opToken.text === '<>' ? '!=' : opToken.text) as ComparisonOp;
      value = this.peek.start;
      cond = { type: 'condition', field: fieldToken.text, op, value: this.parseValue() };
    } else if (this.isKeyword('like')) {
      this.next();
      value = this.peek.start;
      cond = { type: 'condition', field: fieldToken.text, op: 'like', value: this.parseValue() };
    } else if (this.isKeyword('in') || this.isKeyword('notin')) {
      this.next();
      value = this.peek.start;
      const list = this.parseList();
      items = list.locs;
      cond = { type: 'condition', field: fieldToken.text, op: opToken.text.toLowerCase() === 'in' ? 'in' : 'notIn', value: list.values };
    } else if (this.isKeyword('occurs')) {
      throw new TextSyntaxError(
        `occurs compares event timestamps with a time window, and ${EVENT_WHY}; for a date attribute compare it with a date, e.g. ${fieldToken.text} >= today - days(30)`,
        opToken.start,
        'event-query',
      );
    } else {
      this.fail(`an operator after "${fieldToken.text}" (= != > >= < <= like in notIn)`);
    }
    origins.set(cond, { form: 'text', locate: this.locOf, field: fieldToken.start, op: opToken.start, value, items });
    return cond;
  }

  private parseField(): Token {
    const t = this.peek;
    if (t.kind !== 'ident') this.fail('a field path');
    if (RESERVED.has(t.text.toLowerCase())) this.fail('a field path');
    this.refuseEvents(t);
    return this.next();
  }

  /** PQL's optional last argument of the string functions: is the check case-sensitive (default true)? */
  private caseArgument(cond: RuleCondition): void {
    if (!this.isPunct(',')) return;
    this.next();
    const b = this.peek;
    const word = b.kind === 'ident' ? b.text.toLowerCase() : '';
    if (word !== 'true' && word !== 'false') this.fail('true or false (whether the check is case-sensitive)');
    if (!(CASE_OPS as readonly string[]).includes(cond.op)) throw new TextSyntaxError(`${cond.op} takes no case-sensitivity argument`, b.start);
    this.next();
    if (word === 'false') (cond as { caseSensitive?: false }).caseSensitive = false;
  }

  private parseCall(op: PatternOp | ListOp | NullOp): RuleCondition {
    const name = this.next();
    this.expectPunct('(');
    const fieldToken = this.parseField();
    const loc: TextOrigin = { form: 'text', locate: this.locOf, field: fieldToken.start, op: name.start };
    let cond: RuleCondition;
    if (op === 'isNull' || op === 'isNotNull') {
      cond = { type: 'condition', field: fieldToken.text, op };
    } else {
      this.expectPunct(',', `"," and a ${op === 'intersects' ? 'list' : 'value'} after the field`);
      loc.value = this.peek.start;
      if (op === 'intersects') {
        const list = this.parseList();
        loc.items = list.locs;
        cond = { type: 'condition', field: fieldToken.text, op, value: list.values };
      } else {
        cond = { type: 'condition', field: fieldToken.text, op: op as PatternOp, value: this.parseValue() };
        this.caseArgument(cond);
      }
    }
    this.expectPunct(')');
    origins.set(canonicalCase(cond), loc);
    return cond;
  }

  /** `field.method(args)`: the lexer read `field.method` as one path; `dot` is where the method starts. */
  private parseMethod(method: ScalarOp | ListOp | NullOp | 'includes', t: Token, dot: number): RuleCondition {
    const field = t.text.slice(0, dot);
    const name = t.text.slice(dot + 1);
    const problem = fieldPathProblem(field);
    if (problem) throw new TextSyntaxError(problem, t.start);
    this.next();
    this.expectPunct('(');
    const loc: TextOrigin = { form: 'text', locate: this.locOf, field: t.start, op: t.start + dot + 1 };
    let cond: RuleCondition;
    if (method === 'isNull' || method === 'isNotNull') {
      cond = { type: 'condition', field, op: method };
      this.expectPunct(')', `")": ${name}() takes no arguments`);
    } else if (method === 'intersects' || method === 'includes') {
      loc.value = this.peek.start;
      if (method === 'intersects') {
        const list = this.parseList();
        loc.items = list.locs;
        cond = { type: 'condition', field, op: 'intersects', value: list.values };
      } else {
        loc.items = [this.peek.start];
        cond = { type: 'condition', field, op: 'intersects', value: [this.parseValue()] };
      }
      this.expectPunct(')', `")": ${name}(…) takes one ${method === 'intersects' ? 'list' : 'value'}`);
    } else {
      loc.value = this.peek.start;
      cond = { type: 'condition', field, op: method as ScalarOp, value: this.parseValue() };
      this.caseArgument(cond);
      this.expectPunct(')', `")" or ", false" (case-insensitive) after the value`);
    }
    origins.set(canonicalCase(cond), loc);
    return cond;
  }

  private parseList(): { values: RuleLiteral[]; locs: number[] } {
    this.expectPunct('[', '"[" to start a list');
    const values: RuleLiteral[] = [];
    const locs: number[] = [];
    if (this.isPunct(']')) {
      this.next();
      return { values, locs };
    }
    for (;;) {
      locs.push(this.peek.start);
      values.push(this.parseValue());
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expectPunct(']', '"," or "]"');
      return { values, locs };
    }
  }

  private parseValue(): RuleLiteral {
    const t = this.peek;
    if (t.kind === 'string') {
      this.next();
      return { type: 'string', value: t.value as string };
    }
    if (t.kind === 'number' || (this.isPunct('-') && this.tokens[this.pos + 1].kind === 'number')) {
      const negative = t.kind === 'punct';
      if (negative) this.next();
      const n = this.next();
      const value = negative ? -(n.value as number) : (n.value as number);
      const problem = numberProblem(value);
      if (problem) throw new TextSyntaxError(problem, t.start);
      return { type: 'number', value: value === 0 ? 0 : value };
    }
    if (t.kind === 'ident') {
      const lower = t.text.toLowerCase();
      if (lower === 'true' || lower === 'false') {
        this.next();
        return { type: 'boolean', value: lower === 'true' };
      }
      if (lower === 'null') throw new TextSyntaxError('there is no null value: use isNull(field) or isNotNull(field)', t.start);
      const isCall = this.isPunct('(', this.tokens[this.pos + 1]);
      if (isCall && lower === 'date' && (this.tokens[this.pos + 2].kind === 'number' || this.isPunct('-', this.tokens[this.pos + 2]))) return this.parseDateParts();
      if (isCall && (lower === 'date' || lower === 'datetime')) {
        this.next();
        this.next();
        const s = this.peek;
        if (s.kind !== 'string') this.fail(`a quoted ${lower === 'date' ? 'date, e.g. date("2024-01-31")' : 'date-time, e.g. datetime("2024-01-31T10:00:00Z")'}`);
        this.next();
        const problem = lower === 'date' ? dateProblem(s.value as string) : datetimeProblem(s.value as string);
        if (problem) throw new TextSyntaxError(problem, s.start);
        this.expectPunct(')');
        return { type: lower, value: s.value as string };
      }
      // PQL's timestamp literals are bare words (today, now, yesterday, tomorrow); today() and now() too.
      if (lower === 'yesterday' || lower === 'tomorrow') {
        this.next();
        if (isCall) {
          this.next();
          this.expectPunct(')', `")": ${lower} takes no arguments`);
        }
        return relative('today', lower === 'yesterday' ? -1 : 1, 'days');
      }
      if (lower === 'now' || lower === 'today') {
        this.next();
        if (isCall) {
          this.next();
          this.expectPunct(')', `")": ${lower}() takes no arguments`);
        }
        if (!this.isPunct('+') && !this.isPunct('-')) return relative(lower, 0, 'days');
        const sign = this.next().text === '-' ? -1 : 1;
        const u = this.peek;
        const unit = u.kind === 'ident' ? (RELATIVE_UNITS as readonly string[]).find((x) => x === u.text.toLowerCase()) : undefined;
        if (!unit) this.fail('a unit: hours(n), days(n), weeks(n), months(n) or years(n)');
        this.next();
        this.expectPunct('(');
        const n = this.peek;
        const negative = this.isPunct('-');
        if (negative) this.next();
        if (this.peek.kind !== 'number') this.fail(`a whole number, e.g. ${unit}(30)`);
        const amount = (negative ? -1 : 1) * (this.next().value as number) * sign;
        const problem = offsetProblem(amount);
        if (problem) throw new TextSyntaxError(problem, n.start);
        this.expectPunct(')');
        return relative(lower, amount, unit as RelativeUnit);
      }
      if (!isCall && !RESERVED.has(lower)) {
        throw new TextSyntaxError(`expected a value, found the field ${describe(t)}: a rule compares a field with a value, not with another field`, t.start);
      }
    }
    this.fail('a value (a "string", a number, true, false, date("…"), datetime("…"), now or today)');
  }

  /** PQL's date literal `date(2020, 3, 14)`: year, month, day. */
  private parseDateParts(): RuleLiteral {
    const name = this.next();
    this.next();
    const parts: number[] = [];
    for (const [i, what] of ['year', 'month', 'day'].entries()) {
      if (i > 0) this.expectPunct(',', `"," and the ${what}: date(year, month, day), e.g. date(2020, 3, 14)`);
      const n = this.peek;
      if (n.kind !== 'number' || !Number.isInteger(n.value)) this.fail(`a whole number for the ${what}: date(year, month, day), e.g. date(2020, 3, 14)`);
      parts.push(this.next().value as number);
    }
    this.expectPunct(')', '")": date(year, month, day) takes three numbers');
    const [y, m, d] = parts;
    if (y > 9999 || !validDay(y, m, d)) throw new TextSyntaxError(`date(${parts.join(', ')}) is not a calendar date: write date(year, month, day), e.g. date(2020, 3, 14)`, name.start);
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    return { type: 'date', value: `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}` };
  }
}

/**
 * One spelling per meaning: a leading `(?i)` in a matches pattern (PQL's Java-regex way to ignore
 * case) becomes `caseSensitive: false`, so `f.matches("(?i)^a")` and `f.matches("^a", false)` are one AST.
 */
function canonicalCase(cond: RuleCondition): RuleCondition {
  if (cond.op === 'matches' && cond.value.type === 'string' && cond.value.value.startsWith('(?i)')) {
    let pattern = cond.value.value;
    while (pattern.startsWith('(?i)')) pattern = pattern.slice(4);
    cond.value = { type: 'string', value: pattern };
    cond.caseSensitive = false;
  }
  return cond;
}

function group(type: 'and' | 'or', rules: RuleAst[]): RuleAst {
  if (rules.length === 1) return rules[0];
  return { type, rules: rules.flatMap((r) => (r.type === type ? r.rules : [r])) };
}

function locator(text: string): (offset: number) => Loc {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  return (offset) => {
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1] <= offset) line++;
    // Columns count code points, so a Korean or emoji character is one column.
    return { line: line + 1, column: [...text.slice(lineStarts[line], offset)].length + 1 };
  };
}

const at = (l: Loc) => `line ${l.line}, column ${l.column}`;

/** Parses the text form. Throws UnprocessableRequest (rule `syntax`, pointer = basePointer). */
export function parseRuleText(text: string, basePointer = '/rule'): RuleAst {
  if (typeof text !== 'string') syntaxErrors([{ pointer: basePointer, rule: 'syntax', message: 'a text rule must be a string' }]);
  const locOf = locator(text);
  try {
    return new TextParser(lex(text), locOf).parseRule();
  } catch (err) {
    if (!(err instanceof TextSyntaxError)) throw err;
    syntaxErrors([{ pointer: basePointer, rule: err.rule, message: `${err.message} at ${at(locOf(err.offset))}` }]);
  }
}

// ---- JSON form --------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SHAPES = 'a rule is {"and": [...]}, {"or": [...]}, {"not": {...}} or {"field", "op", "value"}';

class JsonParser {
  readonly errors: FieldError[] = [];
  constructor(private readonly base: string) {}

  private error(rel: string, message: string): void {
    this.errors.push({ pointer: this.base + rel, rule: 'syntax', message });
  }

  private unknownKeys(node: Record<string, unknown>, rel: string, allowed: string[]): void {
    for (const k of Object.keys(node)) if (!allowed.includes(k)) this.error(`${rel}/${escapePointer(k)}`, `is not a known property (${SHAPES})`);
  }

  rule(node: unknown, rel: string, depth: number): RuleAst | undefined {
    if (depth > MAX_DEPTH) {
      this.error(rel, `the rule nests deeper than ${MAX_DEPTH} levels`);
      return undefined;
    }
    if (!isObject(node)) {
      this.error(rel, `must be an object: ${SHAPES}`);
      return undefined;
    }
    for (const type of ['and', 'or'] as const) {
      if (!(type in node)) continue;
      this.unknownKeys(node, rel, [type]);
      const list = node[type];
      if (!Array.isArray(list) || list.length === 0) {
        this.error(`${rel}/${type}`, `must be a non-empty array of rules`);
        return undefined;
      }
      const rules = list.map((r, i) => this.rule(r, `${rel}/${type}/${i}`, depth + 1));
      return rules.every((r): r is RuleAst => r !== undefined) ? group(type, rules) : undefined;
    }
    if ('not' in node) {
      this.unknownKeys(node, rel, ['not']);
      const rule = this.rule(node.not, `${rel}/not`, depth + 1);
      return rule && { type: 'not', rule };
    }
    return this.condition(node, rel);
  }

  private condition(node: Record<string, unknown>, rel: string): RuleCondition | undefined {
    this.unknownKeys(node, rel, ['field', 'op', 'value', 'caseSensitive']);
    let ok = true;
    const { field, op, value, caseSensitive } = node;
    if (typeof field !== 'string') {
      this.error(`${rel}/field`, typeof field === 'undefined' ? `is required (${SHAPES})` : 'must be a string field path');
      ok = false;
    } else {
      const problem = fieldPathProblem(field);
      if (problem) {
        this.error(`${rel}/field`, problem);
        ok = false;
      }
    }
    if (typeof op !== 'string' || !(RULE_OPS as readonly string[]).includes(op)) {
      this.error(`${rel}/op`, op === undefined ? 'is required' : `must be one of ${RULE_OPS.join(' ')}`);
      return undefined;
    }
    let cond: RuleCondition | undefined;
    if ((NULL_OPS as readonly string[]).includes(op)) {
      if (value !== undefined) {
        this.error(`${rel}/value`, `${op} takes no value: leave "value" out`);
        ok = false;
      }
      cond = { type: 'condition', field: field as string, op: op as NullOp };
    } else if ((LIST_OPS as readonly string[]).includes(op)) {
      if (!Array.isArray(value)) {
        this.error(`${rel}/value`, value === undefined ? `is required: ${op} takes a list of values` : `must be a list of values for ${op}`);
        return undefined;
      }
      const values = value.map((v, i) => this.literal(v, `${rel}/value/${i}`));
      if (!values.every((v): v is RuleLiteral => v !== undefined)) return undefined;
      cond = { type: 'condition', field: field as string, op: op as ListOp, value: values };
    } else {
      if (Array.isArray(value)) {
        this.error(`${rel}/value`, `${op} takes one value, not a list${op === '=' ? ' (use "in" for a list)' : ''}`);
        return undefined;
      }
      if (value === undefined) {
        this.error(`${rel}/value`, `is required: ${op} compares the field with a value`);
        return undefined;
      }
      const literal = this.literal(value, `${rel}/value`);
      if (!literal) return undefined;
      cond = { type: 'condition', field: field as string, op: op as ScalarOp, value: literal };
    }
    if (caseSensitive !== undefined) {
      if (typeof caseSensitive !== 'boolean') {
        this.error(`${rel}/caseSensitive`, 'must be true or false');
        ok = false;
      } else if (!(CASE_OPS as readonly string[]).includes(op)) {
        this.error(`${rel}/caseSensitive`, `applies to ${CASE_OPS.join(' ')} only, not ${op}`);
        ok = false;
      } else if (!caseSensitive) {
        (cond as { caseSensitive?: false }).caseSensitive = false;
      }
    }
    if (!ok) return undefined;
    origins.set(canonicalCase(cond), { form: 'json', pointer: rel });
    return cond;
  }

  private literal(v: unknown, rel: string): RuleLiteral | undefined {
    const fail = (message: string): undefined => {
      this.error(rel, message);
      return undefined;
    };
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      return problem ? fail(problem) : { type: 'string', value: v };
    }
    if (typeof v === 'number') {
      const problem = numberProblem(v);
      return problem ? fail(problem) : { type: 'number', value: v === 0 ? 0 : v };
    }
    if (typeof v === 'boolean') return { type: 'boolean', value: v };
    if (v === null) return fail('there is no null value: use the op isNull or isNotNull');
    if (Array.isArray(v)) return fail('lists may not nest');
    if (!isObject(v)) return fail('must be a string, number, boolean, {"date"}, {"datetime"} or {"relative"}');
    const keys = Object.keys(v);
    if (keys.length !== 1 || !['date', 'datetime', 'relative'].includes(keys[0])) {
      return fail('an object value is exactly one of {"date": "2024-01-31"}, {"datetime": "2024-01-31T10:00:00Z"} or {"relative": {"base": "now", "offset": -30, "unit": "days"}}');
    }
    if (keys[0] === 'date' || keys[0] === 'datetime') {
      const s = v[keys[0]];
      const problem = typeof s !== 'string' ? `must be a string` : keys[0] === 'date' ? dateProblem(s) : datetimeProblem(s);
      if (problem) {
        this.error(`${rel}/${keys[0]}`, problem);
        return undefined;
      }
      return { type: keys[0] as 'date' | 'datetime', value: s as string };
    }
    const r = v.relative;
    if (!isObject(r)) {
      this.error(`${rel}/relative`, 'must be an object {"base": "now"|"today", "offset": n, "unit": "days"}');
      return undefined;
    }
    let ok = true;
    this.unknownKeys(r, `${rel}/relative`, ['base', 'offset', 'unit']);
    if (Object.keys(r).some((k) => !['base', 'offset', 'unit'].includes(k))) ok = false;
    if (r.base !== 'now' && r.base !== 'today') {
      this.error(`${rel}/relative/base`, 'must be "now" or "today"');
      ok = false;
    }
    const offset = r.offset ?? 0;
    const offsetIssue = typeof offset !== 'number' ? 'must be a whole number' : offsetProblem(offset);
    if (offsetIssue) {
      this.error(`${rel}/relative/offset`, offsetIssue);
      ok = false;
    }
    const unit = r.unit ?? 'days';
    if (!(RELATIVE_UNITS as readonly unknown[]).includes(unit)) {
      this.error(`${rel}/relative/unit`, `must be one of ${RELATIVE_UNITS.join(', ')}`);
      ok = false;
    }
    return ok ? relative(r.base as 'now' | 'today', offset as number, unit as RelativeUnit) : undefined;
  }
}

/** Parses the JSON form. Throws UnprocessableRequest listing every problem with its JSON Pointer. */
export function parseRuleJson(tree: unknown, basePointer = '/rule'): RuleAst {
  const parser = new JsonParser(basePointer);
  const ast = parser.rule(tree, '', 0);
  if (parser.errors.length > 0 || !ast) syntaxErrors(parser.errors.length ? parser.errors : [{ pointer: basePointer, rule: 'syntax', message: SHAPES }]);
  return ast;
}

// ---- printing ---------------------------------------------------------------------------------------

function literalText(l: RuleLiteral): string {
  switch (l.type) {
    case 'string':
      return JSON.stringify(l.value);
    case 'number':
      return String(l.value);
    case 'boolean':
      return String(l.value);
    case 'date':
    case 'datetime':
      return `${l.type}(${JSON.stringify(l.value)})`;
    case 'relative':
      return l.offset === 0 ? `${l.base}()` : `${l.base}() ${l.offset < 0 ? '-' : '+'} ${l.unit}(${Math.abs(l.offset)})`;
  }
}

const listText = (values: RuleLiteral[]) => `[${values.map(literalText).join(', ')}]`;

const METHOD_NAMES: Partial<Record<RuleOp, string>> = { '=': 'equals', '!=': 'notEqualTo' };

/** The canonical text form: lower-case keywords, canonical op names, parentheses only where needed. */
export function ruleToText(ast: RuleAst): string {
  switch (ast.type) {
    case 'and':
      return ast.rules.map((r) => (r.type === 'or' || r.type === 'and' ? `(${ruleToText(r)})` : ruleToText(r))).join(' and ');
    case 'or':
      // `and` inside `or` binds tighter anyway; the parentheses are for the reader.
      return ast.rules.map((r) => (r.type === 'or' || r.type === 'and' ? `(${ruleToText(r)})` : ruleToText(r))).join(' or ');
    case 'not':
      return ast.rule.type === 'and' || ast.rule.type === 'or' ? `not (${ruleToText(ast.rule)})` : `not ${ruleToText(ast.rule)}`;
    case 'condition':
      // Case-insensitive conditions and the negated string checks print in PQL's method form.
      if ('caseSensitive' in ast && ast.caseSensitive === false) {
        return `${ast.field}.${METHOD_NAMES[ast.op] ?? ast.op}(${literalText(ast.value)}, false)`;
      }
      switch (ast.op) {
        case 'isNull':
        case 'isNotNull':
          return `${ast.op}(${ast.field})`;
        case 'doesNotStartWith':
        case 'doesNotEndWith':
        case 'doesNotContain':
          return `${ast.field}.${ast.op}(${literalText(ast.value)})`;
        case 'intersects':
          return `intersects(${ast.field}, ${listText(ast.value)})`;
        case 'in':
        case 'notIn':
          return `${ast.field} ${ast.op} ${listText(ast.value)}`;
        case 'startsWith':
        case 'endsWith':
        case 'contains':
        case 'matches':
          return `${ast.op}(${ast.field}, ${literalText(ast.value)})`;
        default:
          return `${ast.field} ${ast.op} ${literalText(ast.value)}`;
      }
  }
}

function literalJson(l: RuleLiteral): RuleJsonValue {
  switch (l.type) {
    case 'string':
    case 'number':
    case 'boolean':
      return l.value;
    case 'date':
      return { date: l.value };
    case 'datetime':
      return { datetime: l.value };
    case 'relative':
      return { relative: { base: l.base, offset: l.offset, unit: l.unit } };
  }
}

/** The JSON form of an AST (parseRuleJson of it gives the AST back). */
export function ruleToJson(ast: RuleAst): RuleJson {
  switch (ast.type) {
    case 'and':
      return { and: ast.rules.map(ruleToJson) };
    case 'or':
      return { or: ast.rules.map(ruleToJson) };
    case 'not':
      return { not: ruleToJson(ast.rule) };
    case 'condition':
      if (!('value' in ast)) return { field: ast.field, op: ast.op };
      if (Array.isArray(ast.value)) return { field: ast.field, op: ast.op, value: ast.value.map(literalJson) };
      return { field: ast.field, op: ast.op, value: literalJson(ast.value), ...('caseSensitive' in ast && ast.caseSensitive === false ? { caseSensitive: false as const } : {}) };
  }
}

function conditions(ast: RuleAst, visit: (c: RuleCondition, structural: string) => void, rel = ''): void {
  switch (ast.type) {
    case 'and':
    case 'or':
      ast.rules.forEach((r, i) => conditions(r, visit, `${rel}/${ast.type}/${i}`));
      return;
    case 'not':
      conditions(ast.rule, visit, `${rel}/not`);
      return;
    case 'condition':
      visit(ast, rel);
  }
}

/** Field paths the rule names, each once, in order of first use. */
export function fieldsOf(ast: RuleAst): string[] {
  const out = new Set<string>();
  conditions(ast, (c) => out.add(c.field));
  return [...out];
}

// ---- type checking ------------------------------------------------------------------------------------

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The closest known path a user probably meant, preferring fields a prospect rule may use. */
export function closestField(path: string, fields: Map<string, RuleField>): string | undefined {
  const usable = [...fields.values()].filter((f) => f.classKind === 'prospect' && !f.system && !f.timeSeries).map((f) => f.path);
  const pools = [usable, [...fields.keys()]];
  const lower = path.toLowerCase();
  for (const pool of pools) {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of pool) {
      const d = levenshtein(lower, candidate.toLowerCase());
      if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
        best = candidate;
        bestDistance = d;
      }
    }
    if (best !== undefined && bestDistance <= Math.max(2, Math.floor(path.length / 3))) return best;
    // `city` for `homeAddress.city`: the same last segment, when only one field has it.
    const leaf = lower.split('.').pop()!;
    const sameLeaf = pool.filter((c) => c.toLowerCase().split('.').pop() === leaf);
    if (sameLeaf.length === 1) return sameLeaf[0];
  }
  return undefined;
}

const KIND_WORDS: Record<ValueKind, string> = {
  string: 'a string field',
  integer: 'an integer field',
  number: 'a number field',
  boolean: 'a boolean field',
  date: 'a date field',
  'date-time': 'a date-time field',
  'string[]': 'a string-array field',
  json: 'a structured (JSON) field',
};

function literalWords(l: RuleLiteral): string {
  switch (l.type) {
    case 'string':
      return `the string ${JSON.stringify(l.value.length > 40 ? l.value.slice(0, 40) + '…' : l.value)}`;
    case 'number':
      return `the number ${l.value}`;
    case 'boolean':
      return `the boolean ${l.value}`;
    default:
      return literalText(l);
  }
}

function example(kind: ValueKind): string {
  switch (kind) {
    case 'string':
      return 'a "string"';
    case 'integer':
      return 'a whole number such as 30';
    case 'number':
      return 'a number such as 1.5';
    case 'boolean':
      return 'true or false';
    case 'date':
      return 'date("2024-01-31") or a relative date such as today() - days(30)';
    case 'date-time':
      return 'datetime("2024-01-31T10:00:00Z"), date("2024-01-31") or a relative date such as now() - days(30)';
    default:
      return 'a value';
  }
}

/** Why `literal` cannot stand on the right of `field op literal` for a field of `kind`, or null. */
function comparisonProblem(kind: ValueKind, op: ComparisonOp | 'in', l: RuleLiteral, field: string): string | null {
  const wrong = () => `"${field}" is ${KIND_WORDS[kind]}: compare it with ${example(kind)}, not ${literalWords(l)}`;
  switch (kind) {
    case 'string':
      return l.type === 'string' ? null : wrong();
    case 'integer':
      if (l.type !== 'number') return wrong();
      if ((op === '=' || op === '!=' || op === 'in') && !Number.isInteger(l.value)) return `"${field}" is ${KIND_WORDS[kind]}: ${l.value} is not a whole number`;
      return null;
    case 'number':
      return l.type === 'number' ? null : wrong();
    case 'boolean':
      return l.type === 'boolean' ? null : wrong();
    case 'date':
      if (l.type === 'date') return null;
      if (l.type === 'string' && DATE.test(l.value)) return `"${field}" is ${KIND_WORDS[kind]}: write date(${JSON.stringify(l.value)}) instead of the string ${JSON.stringify(l.value)}`;
      if (l.type === 'relative' && l.base === 'now') return `"${field}" is ${KIND_WORDS[kind]}: use today() rather than now() (which has a time of day)`;
      if (l.type === 'relative' && l.unit === 'hours') return `"${field}" is ${KIND_WORDS[kind]}: relative dates on it move in days, weeks, months or years, not hours`;
      if (l.type === 'relative') return op === 'in' ? `lists take fixed values: compare "${field}" with ${literalText(l)} using >=, <=, > or < instead` : null;
      if (l.type === 'datetime') return `"${field}" is ${KIND_WORDS[kind]}: write date("${l.value.slice(0, 10)}") instead of a datetime(…)`;
      return wrong();
    case 'date-time':
      if (l.type === 'datetime' || (l.type === 'date' && op !== 'in')) return null;
      if (l.type === 'relative') return op === 'in' ? `lists take fixed values: compare "${field}" with ${literalText(l)} using >=, <=, > or < instead` : null;
      if (l.type === 'date') return `"${field}" is ${KIND_WORDS[kind]}: a list for it takes datetime("…") values`;
      if (l.type === 'string' && (DATETIME.test(l.value) || DATE.test(l.value))) {
        return `"${field}" is ${KIND_WORDS[kind]}: write ${DATE.test(l.value) ? 'date' : 'datetime'}(${JSON.stringify(l.value)}) instead of the string ${JSON.stringify(l.value)}`;
      }
      return wrong();
    default:
      return wrong();
  }
}

/** A regex PostgreSQL's `~` would read differently from what the user sees, or not at all; null if fine. */
export function regexProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'the regular expression is empty';
  if (pattern.length > MAX_REGEX_LENGTH) return `the regular expression is longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return `the regular expression does not compile: ${(err as Error).message}`;
  }
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const e = pattern[i + 1];
      if (!inClass && (e === 'b' || e === 'B')) return `\\${e} is not a word boundary in PostgreSQL regular expressions: use \\${e === 'b' ? 'y' : 'Y'}`;
      if (e === 'k') return 'named back-references (\\k<name>) are not supported: use numbered groups and \\1';
      if (e === 'p' || e === 'P') return 'Unicode property classes (\\p{…}) are not supported: use bracket classes such as [[:alpha:]] or [가-힣]';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (pattern[i + 1] === '^') i++;
      if (pattern[i + 1] === ']') i++; // a leading ] is literal
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?' && pattern[i + 2] === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!') {
      return 'named groups (?<name>…) are not supported: use plain groups (…) or (?:…)';
    }
  }
  return null;
}

/** The distinct `matches` patterns that pass regexProblem: the ones PostgreSQL must still judge. */
export function regexPatterns(ast: RuleAst): string[] {
  const out = new Set<string>();
  conditions(ast, (c) => {
    if (c.op === 'matches' && c.value.type === 'string' && regexProblem(c.value.value) === null) out.add(c.value.value);
  });
  return [...out];
}

// PostgreSQL's regerror texts (src/include/regex/regerrs.h) → what to write instead.
const POSTGRES_REGEX_HINTS: [string, string][] = [
  ['invalid repetition count(s)', 'a count in {m} or {m,n} goes from 0 to 255, with m ≤ n'],
  ['invalid backreference number', '\\N refers to the N-th group (…) and must come after that group'],
  ['invalid character class', 'classes are [:alnum:] [:alpha:] [:blank:] [:cntrl:] [:digit:] [:graph:] [:lower:] [:print:] [:punct:] [:space:] [:upper:] [:word:] [:xdigit:], inside brackets: [[:digit:]]'],
  ['invalid escape \\ sequence', 'PostgreSQL does not know this backslash escape: write the character itself or in brackets ([.]), or use \\d \\s \\w \\y \\xhh \\uhhhh'],
  ['invalid character range', 'a range such as a-z runs from a lower to a higher character, and neither end may be a class such as \\d or \\w'],
  ['quantifier operand invalid', 'a quantifier (* + ? {n}) follows something it repeats, and only one at a time (a* or a*?, not a** or a*+)'],
  ['brackets [] not balanced', 'close every [ with ]'],
  ['parentheses () not balanced', 'close every ( with )'],
  ['braces {} not balanced', 'close every { with }, or write \\{ for a literal brace'],
  ['regular expression is too complex', 'simplify it: fewer alternatives, shorter repetitions'],
];

/** A user-facing message for PostgreSQL's refusal of a pattern (its own words, then what to do). */
export function postgresRegexMessage(postgresMessage: string): string {
  const hint = POSTGRES_REGEX_HINTS.find(([text]) => postgresMessage.endsWith(text))?.[1];
  return hint ? `${postgresMessage}; ${hint}` : postgresMessage;
}

/** A LIKE pattern PostgreSQL would reject, or null. */
function likeProblem(pattern: string): string | null {
  let escapes = 0;
  for (let i = pattern.length - 1; i >= 0 && pattern[i] === '\\'; i--) escapes++;
  return escapes % 2 === 1 ? 'a like pattern may not end with a single \\ (it escapes the next character: write \\\\ for a backslash)' : null;
}

/**
 * Every problem of the rule against the fields it may use (none: empty list). Pointers: the exact
 * JSON node for rules parsed from JSON; `basePointer` (with line and column in the message) for text.
 * `refusedRegexes`: pattern → why PostgreSQL refuses it (see regexPatterns).
 */
export function ruleErrors(ast: RuleAst, fields: Map<string, RuleField>, basePointer = '/rule', refusedRegexes?: ReadonlyMap<string, string>): FieldError[] {
  const errors: FieldError[] = [];
  conditions(ast, (cond, structural) => {
    const origin = origins.get(cond) ?? { form: 'json', pointer: structural };
    const report = (part: 'field' | 'op' | 'value' | number, rule: string, message: string) => {
      if (origin.form === 'json') {
        const suffix = typeof part === 'number' ? `/value/${part}` : `/${part}`;
        errors.push({ pointer: basePointer + origin.pointer + suffix, rule, message });
      } else {
        const loc = typeof part === 'number' ? origin.items?.[part] : part === 'value' ? origin.value : part === 'field' ? origin.field : origin.op;
        errors.push({ pointer: basePointer, rule, message: loc !== undefined ? `${message} (${at(origin.locate(loc))})` : message });
      }
    };
    const name = cond.field;
    const field = fields.get(name);
    if (!field) {
      const guess = closestField(name, fields);
      report('field', 'unknown-field', `unknown field "${name}"${guess ? `; did you mean "${guess}"?` : ': use a field of the account\'s profile-enabled prospect schemas'}`);
      return;
    }
    if (field.classKind === 'first_party') {
      report('field', 'first-party-field', `"${name}" is a first-party field: prospect audiences use attributes of the prospect class only`);
    }
    if (field.system) report('field', 'system-field', `"${name}" is filled by the platform (a system field): rules may not use it`);
    if (field.timeSeries) report('field', 'time-series-field', `"${name}" is time-series (event) data: prospect audiences are evaluated in batch over profile attributes only`);

    const kind = field.kind;
    const op = cond.op;
    if (op === 'isNull' || op === 'isNotNull') return;
    if (kind === 'json') {
      report('op', 'type-mismatch', `"${name}" is ${KIND_WORDS[kind]}: only isNull and isNotNull apply to it`);
      return;
    }
    switch (op) {
      case '=':
      case '!=':
      case '>':
      case '>=':
      case '<':
      case '<=': {
        if (kind === 'string[]') {
          report('op', 'type-mismatch', `"${name}" is ${KIND_WORDS[kind]}: use intersects(${name}, ["…"]) or isNull(${name})`);
          return;
        }
        if (kind === 'boolean' && op !== '=' && op !== '!=') {
          report('op', 'type-mismatch', `"${name}" is ${KIND_WORDS[kind]}: it takes = and != only`);
          return;
        }
        if ('caseSensitive' in cond && cond.caseSensitive === false && kind !== 'string') {
          report('op', 'type-mismatch', `"${name}" is ${KIND_WORDS[kind]}: a case-insensitive comparison applies to string fields only`);
          return;
        }
        const problem = comparisonProblem(kind, op, cond.value, name);
        if (problem) report('value', 'type-mismatch', problem);
        return;
      }
      case 'like':
      case 'startsWith':
      case 'endsWith':
      case 'contains':
      case 'doesNotStartWith':
      case 'doesNotEndWith':
      case 'doesNotContain':
      case 'matches': {
        if (kind !== 'string') {
          const hint = kind === 'string[]' ? `: use intersects(${name}, ["…"])` : ': it applies to string fields only';
          report('op', 'type-mismatch', `${op} does not apply to "${name}", ${KIND_WORDS[kind]}${hint}`);
          return;
        }
        if (cond.value.type !== 'string') {
          report('value', 'type-mismatch', `${op} on "${name}" needs a "string", not ${literalWords(cond.value)}`);
          return;
        }
        if (op === 'matches') {
          const problem = regexProblem(cond.value.value) ?? refusedRegexes?.get(cond.value.value);
          if (problem) report('value', 'regex', problem);
        }
        if (op === 'like') {
          const problem = likeProblem(cond.value.value);
          if (problem) report('value', 'pattern', problem);
        }
        return;
      }
      case 'in':
      case 'notIn':
      case 'intersects': {
        if (op === 'intersects' && kind !== 'string[]') {
          report('op', 'type-mismatch', `intersects applies to string-array fields; "${name}" is ${KIND_WORDS[kind]}${kind === 'string' ? `: use ${name} in [...]` : ''}`);
          return;
        }
        if (op !== 'intersects' && (kind === 'string[]' || kind === 'boolean')) {
          report('op', 'type-mismatch', `${op} does not apply to "${name}", ${KIND_WORDS[kind]}: ${kind === 'boolean' ? `use ${name} = true or ${name} = false` : `use intersects(${name}, [...])`}`);
          return;
        }
        const values = cond.value;
        if (values.length === 0) report('value', 'list-size', `the ${op} list is empty: give at least one value`);
        if (values.length > MAX_LIST_VALUES) report('value', 'list-size', `the ${op} list has ${values.length} values; at most ${MAX_LIST_VALUES} are allowed`);
        values.forEach((v, i) => {
          const problem = op === 'intersects' ? (v.type === 'string' ? null : `intersects compares "${name}" with strings, not ${literalWords(v)}`) : comparisonProblem(kind, 'in', v, name);
          if (problem) report(i, 'type-mismatch', problem);
        });
        return;
      }
    }
  });
  return errors;
}

/** Throws UnprocessableRequest with every problem of the rule (see ruleErrors). */
export function checkRule(ast: RuleAst, fields: Map<string, RuleField>, basePointer = '/rule', refusedRegexes?: ReadonlyMap<string, string>): void {
  const errors = ruleErrors(ast, fields, basePointer, refusedRegexes);
  if (errors.length > 0) syntaxErrors(errors);
}

// ---- SQL ------------------------------------------------------------------------------------------------

export interface CompiledRule {
  /** A boolean SQL expression with knex `?` placeholders. */
  sql: string;
  bindings: unknown[];
}

function castOf(l: RuleLiteral): string {
  switch (l.type) {
    case 'string':
      return 'text';
    case 'number':
      return Number.isInteger(l.value) ? 'bigint' : 'numeric';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamptz';
    case 'relative':
      throw new Error('relative dates are not bindable values');
  }
}

/**
 * Compiles a checked rule to a predicate over `columnOf(path)` (an already-quoted SQL expression).
 * Every literal is a binding with an explicit cast; relative dates stay SQL (`now()`,
 * `current_date`, `make_interval`) with bound offsets, so the window moves with each evaluation.
 */
export function compileRule(ast: RuleAst, columnOf: (path: string) => string): CompiledRule {
  const bindings: unknown[] = [];
  const bind = (value: unknown, cast: string) => {
    bindings.push(value);
    return `?::${cast}`;
  };
  const column = (path: string) => {
    const sql = columnOf(path);
    // knex reads every ? as a placeholder; `\?` is its escape for a literal one (e.g. in a quoted name).
    if (sql.includes('\\?')) throw new Error(`column expression for "${path}" contains "\\?", which knex cannot express`);
    return sql.replace(/\?/g, '\\?');
  };
  const literal = (l: RuleLiteral): string => {
    if (l.type !== 'relative') return bind(l.value, castOf(l));
    const base = l.base === 'now' ? 'now()' : 'current_date';
    if (l.offset === 0) return base;
    const shifted = `${base} + make_interval(${l.unit} => ${bind(l.offset, 'integer')})`;
    // today() ± days/weeks/months/years stays a date; now() and hour offsets are points in time.
    return l.base === 'today' && l.unit !== 'hours' ? `(${shifted})::date` : `(${shifted})`;
  };
  const listCast = (values: RuleLiteral[]): string => {
    const casts = new Set(values.map(castOf));
    if (casts.has('bigint') && casts.has('numeric')) casts.delete('bigint');
    if (casts.size > 1) throw new Error(`compileRule: a list mixes ${[...casts].join(' and ')} values (run checkRule first)`);
    return `${[...casts][0] ?? 'text'}[]`;
  };
  const string = (l: RuleLiteral, op: string): string => {
    if (l.type !== 'string') throw new Error(`compileRule: ${op} needs a string (run checkRule first)`);
    return l.value;
  };

  const compile = (node: RuleAst): string => {
    switch (node.type) {
      case 'and':
      case 'or':
        return `(${node.rules.map(compile).join(` ${node.type} `)})`;
      case 'not':
        // Two-valued: a condition on a missing value is false, so its negation is true.
        return `((${compile(node.rule)}) is not true)`;
      case 'condition': {
        const col = column(node.field);
        const insensitive = 'caseSensitive' in node && node.caseSensitive === false;
        switch (node.op) {
          case 'isNull':
            return `(${col} is null)`;
          case 'isNotNull':
            return `(${col} is not null)`;
          case '=':
          case '!=':
          case '>':
          case '>=':
          case '<':
          case '<=': {
            const op = node.op === '!=' ? '<>' : node.op;
            // equals/notEqualTo(…, false): both sides lower-cased (PostgreSQL's lower() knows Unicode cases).
            if (insensitive) return `(lower(${col}) ${op} lower(${bind(string(node.value, node.op), 'text')}))`;
            // Code-point order for strings, whatever the database locale.
            const left = node.value.type === 'string' && op !== '=' && op !== '<>' ? `(${col} collate "C")` : col;
            return `(${left} ${op} ${literal(node.value)})`;
          }
          case 'like':
            return `(${col} like ${bind(string(node.value, 'like'), 'text')} escape '\\')`;
          case 'startsWith':
          case 'endsWith':
          case 'contains':
          case 'doesNotStartWith':
          case 'doesNotEndWith':
          case 'doesNotContain': {
            // The value is literal (LIKE wildcards escaped); ILIKE when case-insensitive. A null field
            // gives null (not a member), also for the negated ones: missing values never match.
            const text = escapeLike(string(node.value, node.op));
            const pattern = node.op === 'startsWith' || node.op === 'doesNotStartWith' ? text + '%' : node.op === 'endsWith' || node.op === 'doesNotEndWith' ? '%' + text : '%' + text + '%';
            const negated = node.op.startsWith('doesNot') ? 'not ' : '';
            return `(${col} ${negated}${insensitive ? 'ilike' : 'like'} ${bind(pattern, 'text')} escape '\\')`;
          }
          case 'matches':
            return `(${col} ${insensitive ? '~*' : '~'} ${bind(string(node.value, 'matches'), 'text')})`;
          case 'in':
            if (node.value.length === 0) return 'false';
            return `(${col} = any(${bind(node.value.map(plainValue), listCast(node.value))}))`;
          case 'notIn':
            // `x <> all('{}')` is true even for null x; keep "missing never matches".
            if (node.value.length === 0) return `(${col} is not null)`;
            return `(${col} <> all(${bind(node.value.map(plainValue), listCast(node.value))}))`;
          case 'intersects':
            return `(${col} && ${bind(node.value.map((v) => string(v, 'intersects')), 'text[]')})`;
        }
      }
    }
  };
  return { sql: compile(ast), bindings };
}

function plainValue(l: RuleLiteral): unknown {
  if (l.type === 'relative') throw new Error('compileRule: lists take fixed values (run checkRule first)');
  return l.value;
}
