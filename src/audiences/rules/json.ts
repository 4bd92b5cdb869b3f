/**
 * The JSON form in and out: parseRuleJson reads it (every problem with its JSON Pointer),
 * ruleToJson prints an AST.
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
 */
import type { FieldError } from '../../core/errors';
import { escapePointer } from '../../core/validation';
import { canonicalCase, dateProblem, datetimeProblem, fieldPathProblem, group, numberProblem, offsetProblem, relative, stringProblem } from './literals';
import { origins, syntaxErrors } from './origins';
import { CASE_OPS, LIST_OPS, ListOp, MAX_DEPTH, NULL_OPS, NullOp, RELATIVE_UNITS, RelativeUnit, RULE_OPS, RuleAst, RuleCondition, RuleJson, RuleJsonValue, RuleLiteral, ScalarOp } from './types';

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
