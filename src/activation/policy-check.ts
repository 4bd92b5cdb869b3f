/**
 * The governance check of an export, with lineage: the labels an export carries (its audiences'
 * rule fields and datasets, mapped attributes, the exported identity's field, and for first-party
 * targets their identity label and the datasets they draw on) against the enabled policies for the
 * destination's marketing actions. Each label comes with the path it travelled, so a refusal says
 * which dataset, field, audience or target to change.
 */
import { CdpError, PolicyViolation } from '../core/errors';
import type { Caller } from '../core/types';
import type { LabelSource } from '../governance/service';
import type { NamespaceType } from '../namespaces/service';
import { nodeKindOf } from '../universe/nodes';
import { DRAWS_ON_DATASETS, targetKindName, targetSource } from './first-party';
import type { ActivationContext, ExportPlan, LineageEntry, Verdict } from './types';

/** The marketing action a mix of prospect audiences and first-party targets is judged against as well. */
export const COMBINE_DATA = 'combineData';

export class PolicyCheck {
  constructor(private readonly ctx: ActivationContext) {}

  /** Labels of the audiences (rule fields + datasets) and of mapped attributes, against enabled policies. */
  async verdict(caller: Caller, plan: ExportPlan): Promise<Verdict> {
    // label → lineage entries (with the audience each came through)
    const lineage = new Map<string, LineageEntry[]>();
    const datasetNames = new Map<string, string>();
    const add = (label: string, source: LabelSource & { impliedBy?: string }, audience: { id: string; name: string } | null, viaField: string | null) => {
      const entries = lineage.get(label) ?? [];
      const datasetIds = source.kind === 'dataset' ? [source.datasetId] : [];
      if (source.kind === 'field') {
        for (const a of plan.audiences) for (const p of a.resolved.plans) if (p.schemaId === source.schemaId && (!audience || a.id === audience.id)) datasetIds.push(p.datasetId);
      }
      for (const datasetId of datasetIds.length ? [...new Set(datasetIds)] : [null]) {
        const dataset = datasetId ? { id: datasetId, name: datasetNames.get(datasetId) ?? datasetId } : null;
        const field = source.kind === 'field' ? source.path : viaField;
        const merge = audience && datasetId ? mergeOf(plan.audiences.find((a) => a.id === audience.id)?.resolved.plans ?? [], datasetId) : null;
        const entry: LineageEntry = {
          label,
          ...(source.impliedBy ? { impliedBy: source.impliedBy } : {}),
          dataset,
          field,
          merge,
          audience,
          target: null,
          source: null,
          identity: null,
          activation: plan.activation,
          destination: { id: plan.destination.id, name: plan.destination.name },
          path: [
            dataset ? `dataset "${dataset.name}"` : null,
            field ? `field ${field}` : dataset ? 'all fields (dataset label)' : null,
            merge ? `merged profile (${merge.datasets} datasets)` : null,
            audience ? `audience "${audience.name}"` : 'mapped attribute',
            `activation "${plan.activation.name}"`,
            `destination "${plan.destination.name}"`,
          ]
            .filter(Boolean)
            .join(' → '),
        };
        if (!entries.some((e) => e.path === entry.path && e.label === entry.label)) entries.push(entry);
      }
      lineage.set(label, entries);
    };
    for (const a of plan.audiences) {
      for (const p of a.resolved.plans) datasetNames.set(p.datasetId, (await this.ctx.datasets.findRow(this.ctx.db, caller, p.datasetId)).name);
      const sources = await this.ctx.audiences.labelSources(caller, a.resolved);
      for (const [label, list] of sources) for (const s of list) add(label, s, { id: a.id, name: a.name }, null);
      // mapped attributes of the datasets this audience reads, and the identity field the exported
      // identities are read from (a label on partnerID or an email identity governs its export too)
      const mapped = plan.attributes.map((x) => x.field);
      if (a.resolved.plans.length) {
        const bySchema = new Map<string, string[]>();
        for (const p of a.resolved.plans) {
          const paths = mapped.filter((f) => p.columns.has(f));
          if (p.namespaceId === plan.namespace.id) paths.push(p.identityField);
          bySchema.set(p.schemaId, [...new Set([...(bySchema.get(p.schemaId) ?? []), ...paths])]);
        }
        const fields = [...bySchema].filter(([, paths]) => paths.length).map(([schemaId, paths]) => ({ schemaId, paths }));
        if (fields.length) {
          const attrSources = await this.ctx.governance.gatherLabels(caller, { fields });
          for (const [label, list] of attrSources) for (const s of list) add(label, s, { id: a.id, name: a.name }, s.kind === 'field' ? s.path : null);
        }
      }
    }
    await this.targetLabels(caller, plan, (label, entry) => {
      const entries = lineage.get(label) ?? [];
      if (!entries.some((e) => e.path === entry.path)) entries.push(entry);
      lineage.set(label, entries);
    });
    const labels = [...lineage.keys()].sort();
    // Third-party (prospect) and first-party data never combine silently: a mixed export is also
    // "Combine with directly identifiable data", judged on the union of both sides' labels.
    const mixed = plan.audiences.length > 0 && plan.targets.length > 0;
    const actions = mixed ? [...new Set([...plan.destination.marketing_actions, COMBINE_DATA])] : plan.destination.marketing_actions;
    const evaluation = await this.ctx.governance.evaluate(caller, { marketingActions: actions, labels });
    const violations = evaluation.violations.map((v) => ({
      policy: { id: v.policy.id, name: v.policy.name, coreKey: v.policy.coreKey },
      matched: v.matched,
      marketingActions: v.marketingActions,
      labels: v.labels,
      // A label in play only through another (C4 implies C5–C7) takes the lineage of its origin.
      lineage: v.labels.flatMap((l: string) => {
        const direct = lineage.get(l);
        if (direct?.length) return direct;
        const origins = [...new Set(v.sources.filter((x) => x.label === l && x.impliedBy).map((x) => x.impliedBy!))];
        return origins.flatMap((origin) => (lineage.get(origin) ?? []).map((e) => ({ ...e, label: l, impliedBy: origin })));
      }),
    }));
    return { allowed: violations.length === 0, marketingActions: actions, labels, violations };
  }

  /**
   * Labels of the first-party targets: the identity label of the exported identity for every
   * target, and the dataset labels of the first-party profile datasets for kinds that choose people
   * by their attributes (lookalikes).
   */
  private async targetLabels(caller: Caller, plan: ExportPlan, add: (label: string, entry: LineageEntry) => void): Promise<void> {
    if (plan.targets.length === 0 || !plan.identity) return;
    const identity = { namespace: plan.identity.namespace, label: plan.identity.label };
    const tail = [`activation "${plan.activation.name}"`, `destination "${plan.destination.name}"`];
    let firstParty: { id: string; name: string; labels: string[] }[] | undefined;
    let identitySources: { dataset: { id: string; name: string }; labels: Map<string, LabelSource[]> }[] | undefined;
    for (const t of plan.targets) {
      const target = { id: t.id, name: t.name, kind: t.kind };
      const source = targetSource(t.row);
      const targetStep = `target "${t.name}" (${targetKindName(t.kind)})`;
      const identityStep = `identity ${identity.namespace} (${identity.label})`;
      const base = { dataset: null, field: null, merge: null, audience: null, target, activation: plan.activation, destination: { id: plan.destination.id, name: plan.destination.name } };
      add(identity.label, {
        label: identity.label,
        ...base,
        source,
        identity,
        path: [source?.description, targetStep, identityStep, ...tail].filter(Boolean).join(' → '),
      });
      // The exported identities themselves come from the first-party datasets holding that kind of
      // identity: their field and dataset labels travel with them, whatever the target kind.
      identitySources ??= await this.identitySources(caller, plan.identity.kind);
      for (const src of identitySources) {
        for (const [label, list] of src.labels) {
          for (const s of list) {
            const field = s.kind === 'field' ? s.path : null;
            add(label, {
              label,
              ...base,
              dataset: { id: src.dataset.id, name: src.dataset.name },
              field,
              source,
              identity,
              path: [`dataset "${src.dataset.name}"`, field ? `field ${field}` : 'all fields (dataset label)', targetStep, identityStep, ...tail].join(' → '),
            });
          }
        }
      }
      if (!DRAWS_ON_DATASETS.has(t.kind)) continue;
      if (!firstParty) {
        const datasets = await this.ctx.datasets.profileDatasets(caller, 'first_party');
        const byDataset = await this.ctx.governance.labelsOfDatasets(caller, datasets.map((d) => d.id));
        firstParty = datasets.map((d) => ({ id: d.id, name: d.name, labels: byDataset.get(d.id) ?? [] }));
      }
      for (const d of firstParty) {
        for (const label of d.labels) {
          add(label, {
            label,
            ...base,
            dataset: { id: d.id, name: d.name },
            source,
            identity: null,
            path: [`dataset "${d.name}"`, 'all fields (dataset label)', targetStep, ...tail].join(' → '),
          });
        }
      }
    }
  }

  /**
   * The first-party profile datasets with an identity field of the exported kind, and the labels
   * (field and dataset) that field carries. Conservative: an identity held by several datasets
   * carries the labels of all of them, since the universe does not record which record a value came
   * from.
   */
  private async identitySources(caller: Caller, kind: string): Promise<{ dataset: { id: string; name: string }; labels: Map<string, LabelSource[]> }[]> {
    const out: { dataset: { id: string; name: string }; labels: Map<string, LabelSource[]> }[] = [];
    for (const d of await this.ctx.datasets.profileDatasets(caller, 'first_party')) {
      const storage = await this.ctx.datasets.storage(caller, d.id);
      const paths = storage.fields
        .filter((f) => f.identity && nodeKindOf({ code: f.identity.namespace, type: f.identity.namespaceType as NamespaceType }) === kind)
        .map((f) => f.path);
      if (paths.length === 0) continue;
      const labels = await this.ctx.governance.gatherLabels(caller, { fields: [{ schemaId: d.schema_id, paths }], datasetIds: [d.id] });
      out.push({ dataset: { id: d.id, name: d.name }, labels });
    }
    return out;
  }
}

/** The 422 refusing a save that would violate policy, naming the first lineage paths. */
export function violation(verdict: Verdict, message: string): CdpError {
  const lines = verdict.violations.flatMap((v) => v.lineage.map((l) => `${v.policy.name}: ${l.path} (label ${l.label})`));
  return new PolicyViolation(`${message}. ${lines.slice(0, 5).join('; ')}`, { violations: verdict.violations, labels: verdict.labels, marketingActions: verdict.marketingActions });
}

/** The merge a dataset took part in for an audience: the other datasets of its namespace it read. */
function mergeOf(plans: readonly { datasetId: string; namespaceId: string }[], datasetId: string): LineageEntry['merge'] {
  const namespaceId = plans.find((p) => p.datasetId === datasetId)?.namespaceId;
  const datasets = plans.filter((p) => p.namespaceId === namespaceId).length;
  return namespaceId && datasets > 1 ? { namespaceId, datasets } : null;
}
