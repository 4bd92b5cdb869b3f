/**
 * parseRuleText: the text form to an AST; a problem says where, by line and column.
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
 */
import { canonicalCase, dateProblem, datetimeProblem, fieldPathProblem, group, numberProblem, offsetProblem, relative, RESERVED, validDay } from './literals';
import { lex, TextSyntaxError, Token } from './lexer';
import { at, Loc, locator, origins, syntaxErrors, TextOrigin } from './origins';
import { CASE_OPS, ComparisonOp, ListOp, MAX_DEPTH, NullOp, PatternOp, RELATIVE_UNITS, RelativeUnit, RuleAst, RuleCondition, RuleLiteral, ScalarOp } from './types';

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
