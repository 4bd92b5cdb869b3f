/** The canonical text form of an AST (parseRuleText of it gives the AST back). */
import type { RuleAst, RuleLiteral, RuleOp } from './types';

export function literalText(l: RuleLiteral): string {
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
