/**
 * Runs: one delivery of an activation. A run is queued (by hand, by its schedule, after an
 * evaluation) at most one at a time per activation, and executed by the job queue: policy is
 * checked first (a violation fails the run before any byte is written), the evaluations and target
 * members are pinned on the first attempt, then the files are written. A retry exports the same
 * pins to the same names. `judge` is the one place that decides how a failed attempt ends.
 */
import type { PublishedFile } from '../../connectors/destination-types';
import type { Queryable } from '../core/db';
import { drainDue } from '../core/due';
import { Conflict, isCdpError, isDatabaseError, NotFound } from '../core/errors';
import { newId } from '../core/ids';
import { requeueLost } from '../core/requeue';
import { systemCaller, type Caller } from '../core/types';
import { activationRow, nextRun } from './activations';
import { destinationRow } from './destinations';
import type { ExportFiles } from './export-files';
import { pinTargetSql, targetMembersSql } from './export-sql';
import type { Planner } from './plan';
import type { PolicyCheck } from './policy-check';
import type { ActivationContext, ActivationRow, ActivationRun, ExportPlan, RunCounts, RunRow, Verdict } from './types';

export const ACTIVATION_RUN_JOB = 'activations.run';
export const ACTIVATION_TICK_JOB = 'activations.tick';
/** Tries of one run's job; the run fails when the last one does. */
const RUN_ATTEMPTS = 3;

type Trigger = 'manual' | 'schedule' | 'after_evaluation';
/** A queued run, or the run already queued or processing that kept a new one from queueing. */
type Queued = { run: RunRow } | { busy: RunRow };
/** How a run ends: its files and counts, or why it failed. */
type RunEnd = { status: 'success'; counts: RunCounts; files: PublishedFile[] } | { status: 'failed'; error: string; violation?: Verdict };
/** Where an attempt was when it failed: checking the plan and policy, or pinning and exporting. */
type Stage = 'checking' | 'exporting';

export class Runs {
  constructor(
    private readonly ctx: ActivationContext,
    private readonly planner: Planner,
    private readonly policy: PolicyCheck,
    private readonly files: ExportFiles,
  ) {}

  /**
   * Export now. An activation has one run queued or processing at most: while one is, a new start
   * is refused (409 with that run's id, `runId`), as Adobe refuses an ad-hoc export beside a running one.
   */
  async trigger(caller: Caller, id: string): Promise<ActivationRun> {
    const queued = await this.ctx.db.transaction(async (tx) => this.queue(tx, await activationRow(tx, caller, id, true), 'manual'));
    if ('busy' in queued) {
      const busy = queued.busy;
      throw new Conflict(`Activation ${id} already has run ${busy.id} ${busy.status}; wait until it finishes (GET /v1/activations/${id}/runs/${busy.id}), then start another`, {
        runId: busy.id,
        runStatus: busy.status,
      });
    }
    await this.enqueue(queued.run);
    return this.get(caller, id, queued.run.id);
  }

  async list(caller: Caller, id: string): Promise<ActivationRun[]> {
    await activationRow(this.ctx.db, caller, id);
    return (await this.ctx.db<RunRow>('activation_runs').where({ activation_id: id }).orderBy('id', 'desc').limit(100)).map(toRun);
  }

  async get(caller: Caller, id: string, runId: string): Promise<ActivationRun> {
    await activationRow(this.ctx.db, caller, id);
    const row = await this.ctx.db<RunRow>('activation_runs').where({ id: runId, activation_id: id }).first();
    if (!row) throw new NotFound(`Run ${runId} not found`);
    return toRun(row);
  }

  /** After an audience evaluation: run the activations scheduled "after each evaluation" (skipped while one of theirs runs). */
  async afterEvaluation(caller: Caller, audienceId: string): Promise<void> {
    const { db } = this.ctx;
    const rows = await db<ActivationRow>('activations')
      .where({ ad_account_id: caller.adAccountId, enabled: true })
      .whereRaw(`schedule->>'type' = 'after_evaluation'`)
      .whereRaw('? = any(audience_ids)', [audienceId])
      .select('id');
    for (const r of rows) {
      const queued = await db.transaction(async (tx) => {
        const row = await tx<ActivationRow>('activations').where({ id: r.id, enabled: true }).whereRaw(`schedule->>'type' = 'after_evaluation'`).forUpdate().first();
        return row ? this.queue(tx, row, 'after_evaluation') : null;
      });
      if (queued && 'run' in queued) await this.enqueue(queued.run);
    }
  }

  /**
   * Scheduler tick: queue due once/daily activations. Claiming moves the schedule to its next slot
   * (a `once` schedule has none), so a due slot of an activation whose run is still going is skipped.
   */
  queueDue(): Promise<number> {
    return drainDue<ActivationRow, Queued>(
      this.ctx.db,
      () => this.ctx.clock.now(),
      {
        table: 'activations',
        due: 'next_run_at',
        where: (q) => q.where('enabled', true),
        key: (row) => ({ id: row.id }),
        advance: (row, now) => ({ next_run_at: nextRun(row.schedule, now) }),
      },
      async (queued) => {
        if (!('run' in queued)) return false;
        await this.enqueue(queued.run);
      },
      (tx, row) => this.queue(tx, row, 'schedule'),
    );
  }

  /**
   * Job handler: checks the plan and policy, then pins (first attempt) and exports. A thrown error
   * lets the queue retry the job; `judge` decides whether the run ends instead.
   */
  async execute(runId: string): Promise<ActivationRun | null> {
    const { db, clock } = this.ctx;
    const run = await db<RunRow>('activation_runs').where({ id: runId }).first();
    if (!run || run.status === 'success' || run.status === 'failed') return run ? toRun(run) : null;
    const row = await db<ActivationRow>('activations').where({ id: run.activation_id }).first();
    if (!row) return null;
    const caller = systemCaller(row.ad_account_id, 'marketer', `activation:${row.id}`);
    const attempt = run.attempts + 1;
    await db('activation_runs').where({ id: runId }).update({ status: 'processing', started_at: run.started_at ?? clock.now(), attempts: attempt });
    let stage: Stage = 'checking';
    try {
      const plan = await this.planner.plan(caller, row, await destinationRow(db, caller, row.destination_id));
      const verdict = await this.policy.verdict(caller, plan);
      let end: RunEnd = { status: 'failed', violation: verdict, error: 'Blocked by data usage policy before export; see violation for the lineage' };
      if (verdict.allowed) {
        stage = 'exporting';
        end = await this.deliver(caller, run, plan);
      }
      await this.finish(runId, end);
      if (end.status === 'success') this.ctx.exported({ destinationKind: plan.destination.kind, rows: end.counts.activated, files: end.files.length });
    } catch (err) {
      const judged = await this.judge(err, stage, run, attempt);
      if (judged.end) await this.finish(runId, judged.end);
      if (judged.retry) throw err; // the queue retries with the same pins
    }
    return this.get(caller, row.id, runId);
  }

  /**
   * How a failed attempt ends. A problem of the request itself fails the run now with its reason:
   * any CdpError while checking (e.g. a mapped field's dataset was deleted), a Conflict while
   * exporting (e.g. an audience never evaluated). Anything else is left to the queue's next try —
   * noted on the run while exporting — and the last try fails the run: a run left processing
   * would refuse every later start.
   */
  private async judge(err: unknown, stage: Stage, run: RunRow, attempt: number): Promise<{ end?: RunEnd; retry: boolean }> {
    const { db, log } = this.ctx;
    const runId = run.id;
    if (stage === 'checking') {
      if (isCdpError(err)) return { end: { status: 'failed', error: err.message }, retry: false };
      if (attempt < RUN_ATTEMPTS) return { retry: true };
      log.error({ runId, err }, 'activation run failed before export');
      return { end: { status: 'failed', error: `The run failed because of an internal error (logged with run ${runId}); start a new run later` }, retry: true };
    }
    const internal = isDatabaseError(err);
    const message = internal ? `The run failed because of an internal error (logged with run ${runId}); it is retried, or start a new run later` : (err as Error).message;
    if (internal) log.error({ runId, err }, 'activation run failed in the database');
    if (err instanceof Conflict) return { end: { status: 'failed', error: message }, retry: false };
    log.warn({ runId, activationId: run.activation_id, err: message }, 'activation run attempt failed');
    const [noted] = await db('activation_runs').where({ id: runId }).update({ error: message }).returning('attempts');
    if ((noted?.attempts ?? 0) >= RUN_ATTEMPTS) return { end: { status: 'failed', error: message }, retry: false };
    return { retry: true };
  }

  /** Pins the evaluations and target members on the first attempt (a retry exports those), then writes the files. */
  private async deliver(caller: Caller, run: RunRow, plan: ExportPlan): Promise<RunEnd> {
    let pins = run.evaluations;
    let runAt = run.run_at;
    if (!pins) {
      const pinned = await this.planner.pins(caller, plan, true);
      // Two runs in the same second would share file names: move this one to a free second.
      runAt = await this.files.freeRunTime(plan, runAt);
      if (plan.targets.length) await this.ctx.firstParty().universe.linkPending(caller.adAccountId);
      // Target members are materialised with the pins, all or nothing: a retry finds both or neither.
      await this.ctx.db.transaction(async (tx) => {
        await tx('activation_target_members').where({ run_id: run.id }).delete();
        for (const t of plan.targets) await this.pinTarget(tx, caller, plan, run.id, t);
        await tx('activation_runs')
          .where({ id: run.id })
          .update({ evaluations: JSON.stringify(pinned), run_at: runAt, target_ids: plan.targets.map((t) => t.id) });
      });
      pins = pinned;
    } else {
      // A retry exports what the first attempt pinned; an activation edited in between cannot.
      const pinned = pins;
      const pinnedTargets = run.target_ids ?? [];
      const same = plan.audiences.every((a) => pinned[a.id]) && pinnedTargets.length === plan.targets.length && plan.targets.every((t) => pinnedTargets.includes(t.id));
      if (!same) throw new Conflict('The activation\'s audiences or targets changed after this run pinned its members; start a new run');
    }
    const { counts, files } = await this.files.write(plan, pins, runAt, run.id);
    return { status: 'success', counts, files };
  }

  /** Materialises a target's exported members for a run (set-based, in the pinning transaction). */
  private async pinTarget(tx: Queryable, caller: Caller, plan: ExportPlan, runId: string, t: ExportPlan['targets'][number]): Promise<void> {
    const { targets, universe } = this.ctx.firstParty();
    const people = await targets.peopleOf(tx, caller, t.row);
    const { sql, bindings } = pinTargetSql(caller.adAccountId, runId, t.id, targetMembersSql(universe, caller.adAccountId, people, plan.identity!));
    await tx.raw(sql, bindings as never[]);
  }

  /**
   * Inserts a queued run, in the caller's transaction that holds the activation's row lock (so two
   * triggers cannot both queue), unless a run is queued or processing (`busy`). A `once`
   * activation has no next run once any run has started — it was its one delivery; a schedule's
   * slot is moved on as it is claimed (queueDue), so it is spent even when skipped.
   */
  private async queue(tx: Queryable, row: ActivationRow, trigger: Trigger): Promise<Queued> {
    const busy = await tx<RunRow>('activation_runs').where({ activation_id: row.id }).whereIn('status', ['queued', 'processing']).orderBy('id').first();
    if (!busy && trigger !== 'schedule' && row.schedule.type === 'once' && row.next_run_at !== null) {
      await tx('activations').where({ id: row.id }).update({ next_run_at: null });
    }
    if (busy) return { busy };
    const [run] = await tx('activation_runs')
      .insert({ id: newId('arun'), ad_account_id: row.ad_account_id, activation_id: row.id, status: 'queued', trigger, run_at: this.ctx.clock.now() })
      .returning('*');
    return { run };
  }

  /** Queued runs whose job the queue lost (core/requeue.ts), queued again; `since` null → all of them. */
  requeueLost(since: Date | null): Promise<number> {
    return requeueLost(this.ctx.db, this.ctx.jobs, { table: 'activation_runs', idPrefix: 'arun', inFlight: 'processing', job: ACTIVATION_RUN_JOB, enqueue: (runId) => this.job(runId) }, since);
  }

  /** Hands a queued run to the job queue; a run the queue would not take fails, so it blocks no later run. */
  private async enqueue(run: RunRow): Promise<void> {
    try {
      await this.job(run.id);
    } catch (err) {
      await this.finish(run.id, { status: 'failed', error: 'The run could not be queued (the job queue did not answer); start it again' }).catch(() => undefined);
      throw err;
    }
  }

  private job(runId: string): Promise<string> {
    return this.ctx.jobs.enqueue(ACTIVATION_RUN_JOB, { runId }, { jobId: runId, attempts: RUN_ATTEMPTS, backoffMs: 500 });
  }

  private async finish(runId: string, end: RunEnd): Promise<void> {
    await this.ctx.db.transaction(async (tx) => {
      // A finished run is never retried: its pinned target members have served their purpose.
      await tx('activation_target_members').where({ run_id: runId }).delete();
      await tx('activation_runs')
        .where({ id: runId })
        .update({
          status: end.status,
          ...(end.status === 'success'
            ? {
                received: end.counts.received,
                activated: end.counts.activated,
                excluded_mandatory: end.counts.excludedMandatory,
                excluded_duplicates: end.counts.excludedDuplicates,
                failed: end.counts.failed,
                files: JSON.stringify(end.files),
              }
            : {}),
          ...(end.status === 'failed' && end.violation ? { violation: JSON.stringify(end.violation) } : {}),
          error: end.status === 'success' ? null : end.error,
          finished_at: this.ctx.clock.now(),
        });
    });
  }
}

function toRun(r: RunRow): ActivationRun {
  return {
    id: r.id,
    activationId: r.activation_id,
    status: r.status,
    trigger: r.trigger,
    counts: {
      received: Number(r.received),
      activated: Number(r.activated),
      excludedMandatory: Number(r.excluded_mandatory),
      excludedDuplicates: Number(r.excluded_duplicates),
      failed: Number(r.failed),
    },
    files: r.files,
    violation: r.violation,
    error: r.error,
    attempts: r.attempts,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  };
}
