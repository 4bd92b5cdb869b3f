/**
 * The rule language's AST, its op lists and limits: what both parsers produce, the checker checks
 * and the compiler reads.
 *
 * CANONICAL AST: both parsers flatten nested and/or of the same kind (`a and (b and c)` is one `and`
 * of three), drop single-member groups, turn -0 into 0 and give a zero relative offset the unit
 * "days". `caseSensitive` appears only as false; a matches pattern's leading `(?i)` (PQL's way, from
 * Java regexes) becomes caseSensitive: false. ruleToText/ruleToJson print an AST so that parsing it
 * again gives a deep-equal AST; ruleToText prints case-insensitive conditions and doesNot… in PQL's
 * method form (`homeAddress.city.startsWith("se", false)`), the others as before.
 */
import type { ValueKind } from '../../datasets/storage';

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

/** The JSON form (see json.ts). */
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
