/**
 * An independent model of data-usage governance for the property test (test/governance-property.test.ts).
 * It imports nothing from src/: it is written from the documented rules, so that the service and it
 * can disagree.
 *
 * - Labels sit on schema leaf fields (an object path stands for every leaf under it, "*" for all
 *   leaves) and on datasets (a dataset label applies to every field of the dataset).
 * - C4 implies C5, C6 and C7 (Adobe: "C4 encompasses C5, C6 and C7"); nothing else implies anything.
 *   Label codes are case-sensitive.
 * - A policy fires when it is ENABLED, one of its marketing actions is one the destination carries,
 *   and its deny tree (`{label}`, AND, OR) holds over the effective labels.
 * - A destination carries its kind's actions (s3: exportToThirdParty; liveramp: exportToThirdParty
 *   and crossSiteTargeting) plus those governance added.
 * - An audience reads, per identity namespace, the profile-enabled prospect datasets holding any of
 *   its rule fields — all of them when an all-null profile satisfies the rule (such a profile is a
 *   member wherever it lives) — plus, for an export, those holding a mapped attribute. The labels in
 *   play are: each read dataset's dataset labels, and the labels of the rule fields, mapped
 *   attributes and the exported identity's field (the primary identity, IDENTITY_FIELD) on the
 *   schema of each read dataset holding them.
 */

/** Every dataset of the test identifies its people by this field, in the exported namespace. */
export const IDENTITY_FIELD = 'partnerID';

export type Deny = { label: string } | { operator: 'AND' | 'OR'; operands: Deny[] };

export const IMPLIES: Readonly<Record<string, readonly string[]>> = { C4: ['C5', 'C6', 'C7'] };

export const KIND_ACTIONS: Readonly<Record<'s3' | 'liveramp', readonly string[]>> = {
  s3: ['exportToThirdParty'],
  liveramp: ['exportToThirdParty', 'crossSiteTargeting'],
};

/** A rule over prospect fields, as the test writes it (text form) and judges it on an all-null profile. */
export type Rule =
  | { kind: 'eq'; field: string; value: string }
  | { kind: 'gt'; field: string; value: number }
  | { kind: 'isNull'; field: string }
  | { kind: 'isNotNull'; field: string }
  | { kind: 'not'; rule: Rule }
  | { kind: 'and' | 'or'; rules: Rule[] };

export function ruleText(r: Rule): string {
  switch (r.kind) {
    case 'eq':
      return `${r.field} = ${JSON.stringify(r.value)}`;
    case 'gt':
      return `${r.field} > ${r.value}`;
    case 'isNull':
      return `isNull(${r.field})`;
    case 'isNotNull':
      return `isNotNull(${r.field})`;
    case 'not':
      return `not (${ruleText(r.rule)})`;
    default:
      return `(${r.rules.map(ruleText).join(` ${r.kind} `)})`;
  }
}

export function ruleFields(r: Rule, out = new Set<string>()): Set<string> {
  switch (r.kind) {
    case 'not':
      ruleFields(r.rule, out);
      break;
    case 'and':
    case 'or':
      for (const x of r.rules) ruleFields(x, out);
      break;
    default:
      out.add(r.field);
  }
  return out;
}

type Tri = true | false | null;
/**
 * The rule on a profile with no values at all, in SQL's three-valued logic: a comparison with a
 * missing value is unknown, isNull is true, and `not X` is `X is not true` (documented: a rule and
 * its negation split the population).
 */
export function onAllNull(r: Rule): Tri {
  switch (r.kind) {
    case 'eq':
    case 'gt':
      return null;
    case 'isNull':
      return true;
    case 'isNotNull':
      return false;
    case 'not':
      return onAllNull(r.rule) === true ? false : true;
    case 'and': {
      const v = r.rules.map(onAllNull);
      return v.includes(false) ? false : v.includes(null) ? null : true;
    }
    case 'or': {
      const v = r.rules.map(onAllNull);
      return v.includes(true) ? true : v.includes(null) ? null : false;
    }
  }
}

export interface ModelDataset {
  id: string;
  schemaId: string;
  profileEnabled: boolean;
  /** Leaf field paths of its schema. */
  leaves: readonly string[];
}

/** Field labels per schema (path → labels) and dataset labels, as the model believes they are. */
export interface LabelState {
  fields: Map<string, Map<string, Set<string>>>;
  datasets: Map<string, Set<string>>;
}

/** The leaves an address names: "*" → all, a leaf → itself, an object path → the leaves under it. */
export function leavesOf(leaves: readonly string[], address: string): string[] {
  if (address === '*') return [...leaves];
  return leaves.filter((p) => p === address || p.startsWith(`${address}.`));
}

export interface Source {
  label: string;
  datasetId: string;
  /** null for a dataset label */
  field: string | null;
  audienceId: string;
}

export interface ModelAudience {
  id: string;
  rule: Rule;
}

/** The datasets an audience reads for an export mapping `mapped` (one namespace: all datasets given are of it). */
export function readSet(datasets: readonly ModelDataset[], rule: Rule, mapped: readonly string[]): ModelDataset[] {
  const enabled = datasets.filter((d) => d.profileEnabled);
  const fields = [...ruleFields(rule)];
  const read = onAllNull(rule) === true ? enabled : enabled.filter((d) => fields.some((f) => d.leaves.includes(f)));
  if (read.length === 0) return [];
  const exported = enabled.filter((d) => !read.includes(d) && mapped.some((f) => d.leaves.includes(f)));
  return [...read, ...exported];
}

/** Every applied label in play with where it sits. */
export function sourcesInPlay(datasets: readonly ModelDataset[], state: LabelState, audiences: readonly ModelAudience[], mapped: readonly string[]): Source[] {
  const out: Source[] = [];
  const seen = new Set<string>();
  const push = (s: Source) => {
    const key = `${s.label}|${s.datasetId}|${s.field}|${s.audienceId}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(s);
    }
  };
  for (const a of audiences) {
    // The exported identity is read from each dataset's primary identity field (partnerID here).
    const inPlay = new Set([...ruleFields(a.rule), ...mapped, IDENTITY_FIELD]);
    for (const d of readSet(datasets, a.rule, mapped)) {
      for (const label of state.datasets.get(d.id) ?? []) push({ label, datasetId: d.id, field: null, audienceId: a.id });
      const byPath = state.fields.get(d.schemaId) ?? new Map<string, Set<string>>();
      for (const f of inPlay) {
        if (!d.leaves.includes(f)) continue;
        for (const label of byPath.get(f) ?? []) push({ label, datasetId: d.id, field: f, audienceId: a.id });
      }
    }
  }
  return out;
}

/** Applied labels plus what they imply. */
export function effective(applied: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const queue = [...applied];
  while (queue.length) {
    const l = queue.pop()!;
    if (out.has(l)) continue;
    out.add(l);
    queue.push(...(IMPLIES[l] ?? []));
  }
  return out;
}

export function holds(d: Deny, labels: ReadonlySet<string>): boolean {
  if ('label' in d) return labels.has(d.label);
  return d.operator === 'AND' ? d.operands.every((o) => holds(o, labels)) : d.operands.some((o) => holds(o, labels));
}

/** The part of a satisfied deny tree that matched: an OR keeps its satisfied operands, an AND all. */
export function matchedPart(d: Deny, labels: ReadonlySet<string>): Deny {
  if ('label' in d) return { label: d.label };
  const ops = d.operator === 'AND' ? d.operands : d.operands.filter((o) => holds(o, labels));
  return { operator: d.operator, operands: ops.map((o) => matchedPart(o, labels)) };
}

export function labelsNamed(d: Deny, out = new Set<string>()): Set<string> {
  if ('label' in d) out.add(d.label);
  else for (const o of d.operands) labelsNamed(o, out);
  return out;
}

export interface ModelPolicy {
  id: string;
  status: 'ENABLED' | 'DISABLED' | 'DRAFT';
  marketingActions: readonly string[];
  deny: Deny;
}

export interface ExpectedViolation {
  policyId: string;
  marketingActions: string[];
  matched: Deny;
  labels: string[];
  /** label|impliedBy|datasetId|field|audienceId of every place a named label comes from */
  lineage: Set<string>;
}

export function lineageKey(e: { label: string; impliedBy?: string; datasetId: string; field: string | null; audienceId: string }): string {
  return [e.label, e.impliedBy ?? '', e.datasetId, e.field ?? '*', e.audienceId].join('|');
}

export function expectedViolations(policies: readonly ModelPolicy[], actions: readonly string[], sources: readonly Source[]): ExpectedViolation[] {
  const applied = new Set(sources.map((s) => s.label));
  const labels = effective(applied);
  const out: ExpectedViolation[] = [];
  for (const p of policies) {
    if (p.status !== 'ENABLED') continue;
    const hit = [...new Set(p.marketingActions)].filter((a) => actions.includes(a));
    if (hit.length === 0 || !holds(p.deny, labels)) continue;
    const matched = matchedPart(p.deny, labels);
    const named = [...labelsNamed(matched)].sort();
    const lineage = new Set<string>();
    for (const label of named) {
      if (applied.has(label)) {
        for (const s of sources) if (s.label === label) lineage.add(lineageKey(s));
      } else {
        for (const s of sources) if (effective([s.label]).has(label)) lineage.add(lineageKey({ ...s, label, impliedBy: s.label }));
      }
    }
    out.push({ policyId: p.id, marketingActions: hit.sort(), matched, labels: named, lineage });
  }
  return out;
}
