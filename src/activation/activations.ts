/**
 * Activations: what goes to a destination (prospect audiences, first-party targets, the mapping,
 * mandatory fields, deduplication and schedule). Every save is judged against policy first; a
 * dry-run shows the verdict, counts and file names of a run as it would go now.
 */
import type { ResolvedRule } from '../audiences/service';
import type { Queryable } from '../core/db';
import { ruleError } from '../core/errors';
import { newId } from '../core/ids';
import { nextDailyAt } from '../core/schedule';
import { assertNameFree, findOwned } from '../core/tenant';
import type { Caller } from '../core/types';
import type { TargetUser } from '../targets/service';
import { destinationRow } from './destinations';
import type { ExportFiles } from './export-files';
import { audienceCountSql, targetCountSql, targetMembersSql } from './export-sql';
import { notFoundAt, type Planner } from './plan';
import { violation, type PolicyCheck } from './policy-check';
import type { Activation, ActivationContext, ActivationInput, ActivationRow, ActivationSchedule, DestinationRow, ExportPlan, Pins, RunCounts, Verdict } from './types';

export function activationRow(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<ActivationRow> {
  return findOwned<ActivationRow>(q, 'activations', caller, id, 'Activation', forUpdate);
}

export class Activations {
  constructor(
    private readonly ctx: ActivationContext,
    private readonly planner: Planner,
    private readonly policy: PolicyCheck,
    private readonly files: ExportFiles,
  ) {}

  /** Policy verdict, counts and file names of an activation as it would run now; writes nothing. */
  async dryRun(caller: Caller, input: ActivationInput): Promise<{ verdict: Verdict; counts: RunCounts; files: string[] }> {
    const destination = await destinationRow(this.ctx.db, caller, input.destinationId).catch(notFoundAt('/destinationId'));
    const plan = await this.planner.plan(caller, draftRow(caller, input), destination);
    const verdict = await this.policy.verdict(caller, plan);
    const pins = await this.planner.pins(caller, plan, false);
    if (plan.targets.length) await this.ctx.firstParty().universe.linkPending(caller.adAccountId);
    const counts = await this.count(caller, plan, pins);
    const files = this.files.fileNames(plan, this.ctx.clock.now(), counts.activated);
    return { verdict, counts, files };
  }

  async create(caller: Caller, input: ActivationInput): Promise<{ activation: Activation; verdict: Verdict }> {
    checkSchedule(input.schedule);
    const destination = await destinationRow(this.ctx.db, caller, input.destinationId).catch(notFoundAt('/destinationId'));
    const row = draftRow(caller, input);
    const plan = await this.planner.plan(caller, row, destination);
    const verdict = await this.policy.verdict(caller, plan);
    if (!verdict.allowed) throw violation(verdict, `Activation "${input.name}" would violate data usage policy`);
    const id = newId('act');
    return this.ctx.db.transaction(async (tx) => {
      await assertNameFree(tx, 'activations', caller, input.name, 'activation');
      const [created] = await tx('activations')
        .insert({
          id,
          ad_account_id: caller.adAccountId,
          name: input.name,
          destination_id: input.destinationId,
          audience_ids: row.audience_ids,
          target_ids: row.target_ids,
          schedule: JSON.stringify(input.schedule),
          mapping: JSON.stringify(input.mapping),
          mandatory_fields: input.mandatoryFields ?? [],
          dedup: input.dedup ? JSON.stringify(input.dedup) : null,
          enabled: input.enabled ?? true,
          next_run_at: firstRun(input.schedule, this.ctx.clock.now()),
          created_by: caller.keyId,
        })
        .returning('*');
      const activation = toActivation(created);
      await this.ctx.audit.record(tx, caller, { action: 'create', resourceType: 'activation', resourceId: id, after: activation });
      return { activation, verdict };
    });
  }

  async list(caller: Caller): Promise<Activation[]> {
    return (await this.ctx.db<ActivationRow>('activations').where({ ad_account_id: caller.adAccountId }).orderBy('id')).map(toActivation);
  }

  /** The activation with its verdict as of now (labels may have changed since it was saved). */
  async get(caller: Caller, id: string): Promise<Activation & { verdict: Verdict }> {
    const row = await activationRow(this.ctx.db, caller, id);
    const plan = await this.planner.plan(caller, row, await destinationRow(this.ctx.db, caller, row.destination_id), {}, { requireUsable: false });
    return { ...toActivation(row), verdict: await this.policy.verdict(caller, plan) };
  }

  async update(caller: Caller, id: string, patch: Partial<ActivationInput>): Promise<{ activation: Activation; verdict: Verdict }> {
    if (patch.schedule) checkSchedule(patch.schedule);
    const row = await activationRow(this.ctx.db, caller, id);
    const next: ActivationRow = {
      ...row,
      name: patch.name ?? row.name,
      destination_id: patch.destinationId ?? row.destination_id,
      audience_ids: patch.audienceIds ?? row.audience_ids,
      target_ids: patch.targetIds ?? row.target_ids,
      schedule: patch.schedule ?? row.schedule,
      mapping: patch.mapping ?? row.mapping,
      mandatory_fields: patch.mandatoryFields ?? row.mandatory_fields,
      dedup: patch.dedup !== undefined ? patch.dedup : row.dedup,
      enabled: patch.enabled ?? row.enabled,
    };
    const destination = await destinationRow(this.ctx.db, caller, next.destination_id).catch(notFoundAt('/destinationId'));
    const verdict = await this.policy.verdict(caller, await this.planner.plan(caller, next, destination));
    if (!verdict.allowed) throw violation(verdict, `This change would make activation "${next.name}" violate data usage policy`);
    return this.ctx.db.transaction(async (tx) => {
      if (next.name.toLowerCase() !== row.name.toLowerCase()) await assertNameFree(tx, 'activations', caller, next.name, 'activation');
      const [updated] = await tx('activations')
        .where({ id })
        .update({
          name: next.name,
          destination_id: next.destination_id,
          audience_ids: next.audience_ids,
          target_ids: next.target_ids,
          schedule: JSON.stringify(next.schedule),
          mapping: JSON.stringify(next.mapping),
          mandatory_fields: next.mandatory_fields,
          dedup: next.dedup ? JSON.stringify(next.dedup) : null,
          enabled: next.enabled,
          // Only a new schedule moves it: a run started meanwhile may have spent a `once` schedule.
          ...(patch.schedule ? { next_run_at: firstRun(next.schedule, this.ctx.clock.now()) } : {}),
          updated_at: tx.fn.now(),
        })
        .returning('*');
      const activation = toActivation(updated);
      await this.ctx.audit.record(tx, caller, { action: 'update', resourceType: 'activation', resourceId: id, before: toActivation(row), after: activation });
      return { activation, verdict };
    });
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      const row = await activationRow(tx, caller, id, true);
      await tx('activations').where({ id }).delete();
      await this.ctx.audit.record(tx, caller, { action: 'delete', resourceType: 'activation', resourceId: id, before: toActivation(row) });
    });
  }

  /** Called before an audience's rule changes: refuse when an activation using it would violate policy. */
  async checkAudienceChange(caller: Caller, audienceId: string, resolved: ResolvedRule): Promise<void> {
    const users = await this.ctx.db<ActivationRow>('activations').where({ ad_account_id: caller.adAccountId }).whereRaw('? = any(audience_ids)', [audienceId]);
    for (const a of users) {
      const destination = await destinationRow(this.ctx.db, caller, a.destination_id);
      const plan = await this.planner.plan(caller, a, destination, { [audienceId]: resolved }, { requireUsable: false });
      const verdict = await this.policy.verdict(caller, plan);
      if (!verdict.allowed) throw violation(verdict, `This rule would make activation "${a.name}" violate data usage policy`);
    }
  }

  /** Called before a destination changes (`candidate`): refuse when an activation using it would violate policy. */
  async checkDestinationChange(caller: Caller, candidate: DestinationRow): Promise<void> {
    for (const a of await this.ctx.db<ActivationRow>('activations').where({ destination_id: candidate.id })) {
      // Only the policy question here: a target still being counted is not this change's concern.
      const verdict = await this.policy.verdict(caller, await this.planner.plan(caller, a, candidate, {}, { requireUsable: false }));
      if (!verdict.allowed) throw violation(verdict, `This change would make activation "${a.name}" violate data usage policy`);
    }
  }

  /** Activations that use an audience (its delete is refused while any do). */
  async activationsUsing(q: Queryable, caller: Caller, audienceId: string): Promise<string[]> {
    const rows = await q('activations').where({ ad_account_id: caller.adAccountId }).whereRaw('? = any(audience_ids)', [audienceId]).select('id');
    return rows.map((r: { id: string }) => r.id);
  }

  /** Target usage (사용 현황): the activations that select each target; a used target cannot be deleted. */
  async targetUsage(q: Queryable, caller: Caller, targetIds: readonly string[]): Promise<Map<string, TargetUser[]>> {
    const out = new Map<string, TargetUser[]>();
    if (targetIds.length === 0) return out;
    const rows: { id: string; name: string; target_ids: string[] }[] = await q('activations')
      .where({ ad_account_id: caller.adAccountId })
      .whereRaw('target_ids && ?::text[]', [[...targetIds]])
      .orderBy('id')
      .select('id', 'name', 'target_ids');
    for (const r of rows) {
      for (const t of r.target_ids) {
        if (!targetIds.includes(t)) continue;
        out.set(t, [...(out.get(t) ?? []), { type: 'activation', id: r.id, name: r.name }]);
      }
    }
    return out;
  }

  /** A dry-run's counts: each audience's pinned evaluation and each target's members as they are now. */
  private async count(caller: Caller, plan: ExportPlan, pins: Pins): Promise<RunCounts> {
    const counts: RunCounts = { received: 0, activated: 0, excludedMandatory: 0, excludedDuplicates: 0, failed: 0 };
    const add = (r: { received: string; mandatory: string; dups: string }) => {
      counts.received += Number(r.received);
      counts.excludedMandatory += Number(r.mandatory);
      counts.excludedDuplicates += Number(r.dups);
    };
    for (const a of plan.audiences) {
      const pin = pins[a.id];
      if (!pin) continue;
      const { sql, bindings } = audienceCountSql(plan, pin);
      add((await this.ctx.db.raw(sql, bindings as never[])).rows[0]);
    }
    for (const t of plan.targets) {
      const { targets, universe } = this.ctx.firstParty();
      const people = await targets.peopleOf(this.ctx.db, caller, t.row);
      const { sql, bindings } = targetCountSql(targetMembersSql(universe, caller.adAccountId, people, plan.identity!));
      add((await this.ctx.db.raw(sql, bindings as never[])).rows[0]);
    }
    counts.activated = counts.received - counts.excludedMandatory - counts.excludedDuplicates;
    return counts;
  }
}

function checkSchedule(s: ActivationSchedule): void {
  if (s.type === 'daily' && !/^([01]\d|2[0-3]):[0-5]\d$/.test(s.at ?? '')) throw ruleError('/schedule/at', 'time', 'A daily activation needs at: HH:MM (UTC)');
}

function firstRun(s: ActivationSchedule, now: Date): Date | null {
  if (s.type === 'once') return now;
  if (s.type === 'daily') return nextRun(s, now);
  return null;
}

/** The next daily slot strictly after `after`; null for other schedules (they have no next slot). */
export function nextRun(s: ActivationSchedule, after: Date): Date | null {
  if (s.type !== 'daily' || !s.at) return null;
  return nextDailyAt(s.at, after);
}

function draftRow(caller: Caller, input: ActivationInput): ActivationRow {
  return {
    id: '',
    ad_account_id: caller.adAccountId,
    name: input.name,
    destination_id: input.destinationId,
    audience_ids: input.audienceIds ?? [],
    target_ids: input.targetIds ?? [],
    schedule: input.schedule,
    mapping: input.mapping,
    mandatory_fields: input.mandatoryFields ?? [],
    dedup: input.dedup ?? null,
    enabled: input.enabled ?? true,
    next_run_at: null,
    created_at: new Date(),
    updated_at: new Date(),
  };
}

function toActivation(r: ActivationRow): Activation {
  return {
    id: r.id,
    name: r.name,
    destinationId: r.destination_id,
    audienceIds: r.audience_ids,
    targetIds: r.target_ids,
    schedule: r.schedule,
    mapping: r.mapping,
    mandatoryFields: r.mandatory_fields,
    dedup: r.dedup,
    enabled: r.enabled,
    nextRunAt: r.next_run_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
