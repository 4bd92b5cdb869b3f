/** Evaluation of a use of data against the enabled policies, with the lineage of every violating label. */
import type { FieldError } from '../core/errors';
import { ruleError } from '../core/errors';
import type { Caller } from '../core/types';
import { fieldLabelMap, labelsOfDatasets, resolveFieldPaths } from './assignments';
import { requireStringArray, throwAll } from './checks';
import { unknownLabels } from './custom-labels';
import { evaluatePolicies, expandLabels } from './engine';
import { sortLabels } from './labels';
import { unknownMarketingActions } from './marketing-actions';
import { toPolicy } from './policies';
import type { Evaluation, EvaluationRequest, GovernanceContext, LabelGathering, LabelSource, PolicyRow, Violation, ViolationSource } from './types';

/**
 * Labels of the request, schema fields and datasets, each with where it came from. Unknown labels
 * (`/labels/<i>`) and field paths (`/fields/<i>/paths/<j>`) are reported as 422 findings.
 */
export async function gatherLabels(ctx: GovernanceContext, caller: Caller, input: LabelGathering): Promise<Map<string, LabelSource[]>> {
  const { sources, errors } = await collect(ctx, caller, input);
  throwAll(errors);
  return sources;
}

/**
 * Which enabled policies would this use of data violate? Used by POST /v1/policies/evaluate and by
 * activation (which passes the fields it exports and the datasets they come from).
 */
export async function evaluate(ctx: GovernanceContext, caller: Caller, input: EvaluationRequest): Promise<Evaluation> {
  const actions = requireStringArray(input.marketingActions, '/marketingActions', 'marketingActions');
  if (input.labels === undefined && input.fields === undefined && input.datasetIds === undefined) {
    throw ruleError('/labels', 'required', 'Send labels, fields (or both) to evaluate', 400);
  }
  const errors = await unknownMarketingActions(ctx.db, caller, actions, (i) => `/marketingActions/${i}`);
  const collected = await collect(ctx, caller, input);
  throwAll([...errors, ...collected.errors]);
  const sources = collected.sources;
  const policies = (
    await ctx.db<PolicyRow>('policies').where({ ad_account_id: caller.adAccountId, status: 'ENABLED' }).orderBy('name')
  ).map(toPolicy);
  const found = evaluatePolicies(policies, actions, sources.keys());
  const violations = found.map((v): Violation => {
    const lineage: ViolationSource[] = [];
    for (const label of v.labels) {
      const origins = v.impliedBy[label];
      if (!origins) {
        for (const s of sources.get(label) ?? []) lineage.push({ label, ...s });
      } else {
        for (const origin of origins) for (const s of sources.get(origin) ?? []) lineage.push({ label, impliedBy: origin, ...s });
      }
    }
    return {
      policy: { id: v.policy.id, name: v.policy.name, status: v.policy.status, coreKey: v.policy.coreKey },
      marketingActions: v.marketingActions,
      matched: v.matched,
      labels: sortLabels(v.labels),
      sources: lineage,
    };
  });
  return { labels: sortLabels(sources.keys()), effectiveLabels: sortLabels(expandLabels(sources.keys()).keys()), violations };
}

async function collect(ctx: GovernanceContext, caller: Caller, input: LabelGathering): Promise<{ sources: Map<string, LabelSource[]>; errors: FieldError[] }> {
  const sources = new Map<string, LabelSource[]>();
  const add = (label: string, source: LabelSource) => {
    const list = sources.get(label);
    if (list) list.push(source);
    else sources.set(label, [source]);
  };
  const errors: FieldError[] = [];
  if (input.labels !== undefined) {
    const labels = requireStringArray(input.labels, '/labels', 'labels', 0);
    errors.push(...(await unknownLabels(ctx.db, caller, labels, (i) => `/labels/${i}`)));
    for (const l of new Set(labels)) add(l, { kind: 'request' });
  }
  if (input.fields !== undefined) {
    if (!Array.isArray(input.fields)) throw ruleError('/fields', 'type', 'fields must be an array of { schemaId, paths? }', 400);
    for (const [i, ref] of input.fields.entries()) {
      if (!ref || typeof ref.schemaId !== 'string') throw ruleError(`/fields/${i}/schemaId`, 'required', 'schemaId is required', 400);
      if (ref.paths !== undefined) requireStringArray(ref.paths, `/fields/${i}/paths`, 'paths', 0);
      const leaves = await ctx.schemas.leafFields(caller, ref.schemaId);
      const resolved = resolveFieldPaths(leaves, ref.paths ?? '*', `/fields/${i}/paths`);
      errors.push(...resolved.errors);
      const byPath = await fieldLabelMap(ctx.db, caller, ref.schemaId);
      for (const path of [...resolved.paths].sort()) {
        for (const label of byPath.get(path) ?? []) add(label, { kind: 'field', schemaId: ref.schemaId, path });
      }
    }
  }
  if (input.datasetIds !== undefined) {
    const ids = requireStringArray(input.datasetIds, '/datasetIds', 'datasetIds', 0);
    // Unknown (or another account's) datasets answer 404 rather than silently carrying no labels.
    if (ctx.datasetCheck) for (const id of new Set(ids)) await ctx.datasetCheck(caller, id);
    const byDataset = await labelsOfDatasets(ctx, caller, ids);
    for (const id of new Set(ids)) for (const label of byDataset.get(id) ?? []) add(label, { kind: 'dataset', datasetId: id });
  }
  return { sources, errors };
}
