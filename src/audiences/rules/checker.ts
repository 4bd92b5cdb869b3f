/**
 * Type checks of a parsed rule against the fields the account's datasets hold, with what to write
 * instead: unknown fields (and the closest known one), first-party, system and time-series fields,
 * op and value kinds, list sizes, LIKE and regular-expression patterns. Also the walks over a
 * rule's conditions: fieldsOf, regexPatterns.
 */
import type { FieldError } from '../../core/errors';
import type { ValueKind } from '../../datasets/storage';
import { DATE, DATETIME } from './literals';
import { at, origins, syntaxErrors } from './origins';
import { literalText } from './text';
import { ComparisonOp, MAX_LIST_VALUES, MAX_REGEX_LENGTH, RuleAst, RuleCondition, RuleField, RuleLiteral } from './types';

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
