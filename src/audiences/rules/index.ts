/**
 * The audience rule language (Adobe PQL subset, anchors §5): two equal forms, one AST, one compiler.
 * Pure: no I/O. Parse → checkRule (against the fields the account's prospect datasets hold) →
 * compileRule (a parameterised predicate over one dataset's typed columns).
 *
 * One file per step: types.ts (AST, op lists, limits) · lexer.ts and parser.ts (text form) ·
 * json.ts (JSON form in and out) · text.ts (text printer) · checker.ts · compiler.ts; literals.ts
 * and origins.ts are what both parsers share. Callers import this folder.
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
export { checkRule, closestField, fieldsOf, postgresRegexMessage, regexPatterns, regexProblem, ruleErrors } from './checker';
export { compileRule, type CompiledRule } from './compiler';
export { parseRuleJson, ruleToJson } from './json';
export { parseRuleText } from './parser';
export { ruleToText } from './text';
export {
  CASE_OPS,
  COMPARISON_OPS,
  LIST_OPS,
  MAX_DEPTH,
  MAX_LIST_VALUES,
  MAX_REGEX_LENGTH,
  MAX_RELATIVE_OFFSET,
  NULL_OPS,
  PATTERN_OPS,
  RELATIVE_UNITS,
  RULE_OPS,
  type ComparisonOp,
  type ListOp,
  type NullOp,
  type PatternOp,
  type RelativeUnit,
  type RuleAst,
  type RuleCondition,
  type RuleField,
  type RuleJson,
  type RuleJsonValue,
  type RuleLiteral,
  type RuleOp,
  type ScalarOp,
} from './types';
