/**
 * An activation resolved against its destination (the export plan): its audiences' rules, its
 * targets, the exported identity and attributes — with the mapping checks that refuse what the
 * destination cannot take — and the evaluations a run pins.
 */
import { liveRampSegmentColumn } from '../../connectors/export-format';
import type { ResolvedRule } from '../audiences/service';
import { Conflict, NotFound, ruleError } from '../core/errors';
import type { Caller } from '../core/types';
import type { TargetRow } from '../targets/service';
import { ACCEPTED_IDENTITIES } from './destinations';
import { firstPartyIdentity, type FirstPartyIdentity, targetKindName } from './first-party';
import type { ActivationContext, ActivationRow, DestinationRow, ExportPlan, Pins } from './types';

/** Targets one activation may select (audiences: 50). */
export const MAX_ACTIVATION_TARGETS = 20;

export class Planner {
  constructor(private readonly ctx: ActivationContext) {}

  async plan(
    caller: Caller,
    row: ActivationRow,
    destination: DestinationRow,
    override: Record<string, ResolvedRule> = {},
    opts: { requireUsable?: boolean } = {},
  ): Promise<ExportPlan> {
    if (row.audience_ids.length === 0 && row.target_ids.length === 0) {
      throw ruleError('/audienceIds', 'required', 'Select at least one prospect audience (audienceIds) or first-party target (targetIds)');
    }
    if (row.target_ids.length > MAX_ACTIVATION_TARGETS) {
      throw ruleError('/targetIds', 'maxItems', `An activation selects at most ${MAX_ACTIVATION_TARGETS} targets; split it into several activations`, 422, { limit: MAX_ACTIVATION_TARGETS });
    }
    const audiences = [];
    // Mapped attributes are read from the merged profile: the datasets holding them are read too.
    const mappedFields = (row.mapping.attributes ?? []).map((x) => x.field);
    for (const [i, id] of row.audience_ids.entries()) {
      const a = await this.ctx.audiences.findRow(this.ctx.db, caller, id).catch(notFoundAt(`/audienceIds/${i}`));
      const resolved = await this.ctx.audiences.resolveRule(caller, override[id]?.text ?? a.rule_text, '/rule', undefined, mappedFields);
      audiences.push({ id, name: a.name, resolved });
    }
    const ns = await this.ctx.namespaces.get(caller, row.mapping.identity.namespace).catch(notFoundAt('/mapping/identity/namespace'));
    const attributes = row.mapping.attributes ?? [];
    // Saving and running only: an activation stored before these rules stays readable, its run fails with the reason.
    const checkShape = opts.requireUsable ?? true;
    const accepted = ACCEPTED_IDENTITIES[destination.kind];
    if (checkShape && !accepted.includes(ns.type)) {
      throw ruleError(
        '/mapping/identity/namespace',
        'destination-identity',
        `Destination "${destination.name}" (${destination.kind === 'liveramp' ? 'LiveRamp' : 'S3'}) takes ${accepted.join(', ')} identities; ${ns.code} is a ${ns.type} namespace. Map an identity namespace of one of those types, or send these identities to an S3 destination`,
      );
    }
    if (destination.kind === 'liveramp' && checkShape && attributes.length) {
      throw ruleError(
        '/mapping/attributes',
        'liveramp-identifier-only',
        'LiveRamp reads one record per line with one identifier column and one column per audience or target; it takes no attribute columns. Remove mapping.attributes (and the mandatoryFields and dedup that need them), or send the attributes to an S3 destination',
      );
    }
    const targets = await this.resolveTargets(caller, row.target_ids, opts.requireUsable ?? true);
    let identity: FirstPartyIdentity | null = null;
    if (targets.length) {
      const fp = firstPartyIdentity(ns);
      if ('refused' in fp) throw ruleError('/mapping/identity/namespace', fp.rule, fp.refused);
      identity = fp;
      if (audiences.length === 0 && attributes.length) {
        throw ruleError(
          '/mapping/attributes',
          'audiences-only',
          'Mapped attributes come from the prospect datasets that audiences read; first-party targets export identities only (a target is a set of people, not records). Remove the attributes, or select audiences as well',
        );
      }
      if (audiences.length === 0 && row.schedule.type === 'after_evaluation') {
        throw ruleError(
          '/schedule/type',
          'evaluations',
          'First-party targets have no evaluations to run after; use a once or daily schedule (runs can always be started with POST /v1/activations/{id}/runs)',
        );
      }
    }
    for (const [i, attr] of attributes.entries()) {
      const known = audiences.some((a) => a.resolved.plans.some((p) => p.columns.has(attr.field)));
      if (!known) {
        throw ruleError(`/mapping/attributes/${i}/field`, 'unknown-field', `${attr.field} is not a field of the datasets these audiences read`);
      }
    }
    for (const [i, f] of row.mandatory_fields.entries()) {
      if (!attributes.some((a) => a.field === f)) throw ruleError(`/mandatoryFields/${i}`, 'mapped', `Mandatory field ${f} must also be mapped to a column`);
    }
    const dedup = row.dedup?.fields ?? [];
    for (const [i, f] of dedup.entries()) {
      if (!attributes.some((a) => a.field === f)) throw ruleError(`/dedup/fields/${i}`, 'mapped', `Deduplication field ${f} must be mapped to a column`);
    }
    if (destination.kind === 'liveramp') {
      const segmentColumns = [...audiences, ...targets].map((a) => liveRampSegmentColumn(ns.code, a.id));
      if (checkShape) checkLiveRampIdentityColumn(row.mapping.identity.column, segmentColumns);
    }
    return {
      activation: { id: row.id || null, name: row.name },
      destination,
      audiences,
      targets,
      identity,
      namespace: { id: ns.id, code: ns.code },
      identityColumn: row.mapping.identity.column,
      attributes,
      mandatory: row.mandatory_fields,
      dedup,
    };
  }

  /** Current (and previous, for `expired`) evaluation of each audience. */
  async pins(caller: Caller, plan: ExportPlan, required: boolean): Promise<Pins> {
    const out: Pins = {};
    for (const a of plan.audiences) {
      const current = await this.ctx.audiences.latestEvaluation(caller, a.id);
      if (!current) {
        if (required) throw new Conflict(`Audience "${a.name}" has not been evaluated yet; evaluate it first (POST /v1/audiences/${a.id}/evaluations)`);
        continue;
      }
      const previous = await this.ctx.audiences.previousEvaluation(caller, a.id, current.id);
      out[a.id] = { current: current.id, previous: previous?.id ?? null };
    }
    return out;
  }

  /**
   * The selected targets: each must exist in the caller's account (422 `/targetIds/<i>`) and, unless
   * only viewing, have a counted population (not preparing 준비중 or failed 생성실패).
   */
  private async resolveTargets(caller: Caller, ids: readonly string[], requireUsable: boolean): Promise<ExportPlan['targets']> {
    if (ids.length === 0) return [];
    const { targets } = this.ctx.firstParty();
    const rows: TargetRow[] = [];
    for (const [i, id] of ids.entries()) rows.push(await targets.find(this.ctx.db, caller, null, id).catch(notFoundAt(`/targetIds/${i}`)));
    if (requireUsable) {
      const bases = await targets.bases(this.ctx.db, rows);
      bases.forEach((b, i) => {
        if (b.population.usable) return;
        const what = `${capitalise(targetKindName(rows[i].kind))} "${rows[i].name}"`;
        throw ruleError(
          `/targetIds/${i}`,
          'usable',
          b.population.state === 'failed'
            ? `${what} failed to be counted (${b.population.label}); delete it and create it again`
            : `${what} is ${b.population.state} (${b.population.label}): its people are not counted yet; wait for the count (POST /v1/targets/${rows[i].id}/refresh) and try again`,
        );
      });
    }
    return rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, row: r }));
  }
}

/** A reference that does not resolve answers 422 at its pointer in the request body. */
export function notFoundAt(pointer: string) {
  return (err: unknown): never => {
    if (err instanceof NotFound) throw ruleError(pointer, 'exists', `${err.message} in this ad account`);
    throw err;
  };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** LiveRamp's header is one line of plain names: the identity column needs no quoting and names no segment column. */
function checkLiveRampIdentityColumn(column: string, segmentColumns: string[]): void {
  const pointer = '/mapping/identity/column';
  if (column.trim() === '' || /[\p{Cc}\u2028\u2029,"]/u.test(column)) {
    throw ruleError(pointer, 'liveramp-column', `LiveRamp reads the header as one line of plain column names: ${JSON.stringify(column)} is blank or holds a line break, control character, comma or double quote; use letters, digits and _`);
  }
  if (segmentColumns.includes(column)) {
    throw ruleError(pointer, 'liveramp-column', `${column} is already the column of an audience or target in this LiveRamp file; give the identity column another name`);
  }
}
