/** A checked rule to one parameterised SQL predicate (see SEMANTICS in index.ts). */
import { escapeLike } from '../../core/sql';
import type { RuleAst, RuleLiteral } from './types';

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
