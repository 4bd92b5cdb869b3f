/**
 * The policy engine: pure, no I/O. Given policies, the marketing actions a use of data serves and
 * the labels on that data, it returns every violated policy and why.
 *
 * - Only ENABLED policies count; DRAFT and DISABLED ones never fire.
 * - A policy applies when one of its marketing actions is requested (its list is an OR).
 * - Its deny expression is a tree of `{ label }` leaves and `{ operator: AND|OR, operands }` nodes.
 *   An AND fires only when all its labels are present together in the same label set.
 * - Label matching is case-sensitive (`c2` is not `C2`).
 * - Implications are applied to the label set first: C4 implies C5, C6 and C7, so a policy that
 *   denies C5 fires for data labelled C4 (Adobe: "C4 encompasses C5, C6 and C7"). The reverse does
 *   not hold: a policy on C4 does not fire for data labelled only C5.
 */
import { LABEL_IMPLICATIONS } from './labels';

export type LabelLeaf = { label: string };
export type LabelOperation = { operator: 'AND' | 'OR'; operands: DenyExpression[] };
export type DenyExpression = LabelLeaf | LabelOperation;
export type PolicyStatus = 'DRAFT' | 'ENABLED' | 'DISABLED';

/** What the engine needs of a policy; callers may pass richer objects and get them back. */
export interface EvaluablePolicy {
  status: PolicyStatus;
  marketingActions: readonly string[];
  deny: DenyExpression;
}

export interface EngineViolation<P extends EvaluablePolicy = EvaluablePolicy> {
  policy: P;
  /** The requested marketing actions this policy denies. */
  marketingActions: string[];
  /** The part of the deny expression that matched: OR keeps only matching operands, AND keeps all. */
  matched: DenyExpression;
  /** Labels named in `matched` (each present directly or through an implication), sorted. */
  labels: string[];
  /** For matched labels present only through an implication: the applied labels implying them. */
  impliedBy: Record<string, string[]>;
}

export function isLeaf(expr: DenyExpression): expr is LabelLeaf {
  return typeof (expr as LabelLeaf).label === 'string';
}

/**
 * The label set after implications: effective label → the applied labels it comes from
 * (itself when applied directly). Implications are followed transitively.
 */
export function expandLabels(
  labels: Iterable<string>,
  implications: Readonly<Record<string, readonly string[]>> = LABEL_IMPLICATIONS,
): Map<string, string[]> {
  const origins = new Map<string, Set<string>>();
  const direct = new Set(labels);
  for (const applied of direct) {
    const queue = [applied];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const label = queue.shift()!;
      if (seen.has(label)) continue;
      seen.add(label);
      // A directly applied label is its own only origin; implications add nothing to explain it.
      if (!direct.has(label) || label === applied) {
        let set = origins.get(label);
        if (!set) origins.set(label, (set = new Set()));
        set.add(applied);
      }
      for (const next of implications[label] ?? []) queue.push(next);
    }
  }
  return new Map([...origins].map(([label, set]) => [label, [...set].sort()]));
}

/** The matched part of `expr` for the label set, or null when it does not match. */
export function matchDeny(expr: DenyExpression, present: ReadonlySet<string> | ReadonlyMap<string, unknown>): DenyExpression | null {
  if (isLeaf(expr)) return present.has(expr.label) ? { label: expr.label } : null;
  const matched = expr.operands.map((op) => matchDeny(op, present));
  if (expr.operator === 'AND') {
    if (expr.operands.length === 0 || matched.some((m) => m === null)) return null;
    return { operator: 'AND', operands: matched as DenyExpression[] };
  }
  const hits = matched.filter((m): m is DenyExpression => m !== null);
  return hits.length > 0 ? { operator: 'OR', operands: hits } : null;
}

/** Every label named in an expression, in first-seen order. */
export function labelsOf(expr: DenyExpression, out: string[] = []): string[] {
  if (isLeaf(expr)) {
    if (!out.includes(expr.label)) out.push(expr.label);
  } else for (const op of expr.operands) labelsOf(op, out);
  return out;
}

export function evaluatePolicies<P extends EvaluablePolicy>(
  policies: Iterable<P>,
  marketingActions: readonly string[],
  labels: Iterable<string>,
  implications: Readonly<Record<string, readonly string[]>> = LABEL_IMPLICATIONS,
): EngineViolation<P>[] {
  const requested = new Set(marketingActions);
  const direct = new Set(labels);
  const effective = expandLabels(direct, implications);
  const violations: EngineViolation<P>[] = [];
  for (const policy of policies) {
    if (policy.status !== 'ENABLED') continue;
    const actions = [...new Set(policy.marketingActions)].filter((a) => requested.has(a));
    if (actions.length === 0) continue;
    const matched = matchDeny(policy.deny, effective);
    if (!matched) continue;
    const involved = labelsOf(matched).sort();
    const impliedBy: Record<string, string[]> = {};
    for (const label of involved) if (!direct.has(label)) impliedBy[label] = effective.get(label) ?? [];
    violations.push({ policy, marketingActions: actions, matched, labels: involved, impliedBy });
  }
  return violations;
}
