/**
 * Destinations and activations: send prospect audiences and first-party targets to S3 or a
 * LiveRamp-style SFTP, governed by labels.
 *
 * Enforcement: the labels an activation carries are those of its audiences (rule fields + datasets
 * read), of every mapped attribute and, for first-party targets, the identity label of the exported
 * identity (I1 phone/email/app user id and their hashes, I2 ad ids and cookies) plus the dataset
 * labels of the first-party datasets a target kind draws on. They are evaluated against the enabled
 * policies for the destination's marketing actions — and `combineData` as well when an activation
 * mixes prospect audiences with first-party targets — when an activation is created or edited, when
 * an audience or a destination it uses is edited, and again at the start of every run (labels may
 * have changed since). A violation refuses the save (422) or fails the run before any byte is
 * written, with its lineage: dataset → field → audience → activation → destination, or source →
 * target → identity → activation → destination.
 *
 * Delivery (after Jitsu's retl-runner): a run first pins the evaluations it exports and its file-name
 * time, then streams the file's bytes — written by PostgreSQL (`COPY … TO STDOUT`, see
 * copy-export.ts) — through gzip into parts written under temporary names and published only when
 * complete. A crashed run is retried with the same pins, so it writes the same files with the same
 * content — no duplicate and no partial file is ever visible.
 *
 * The parts, one job each: destinations.ts (destination CRUD, accepted identities), activations.ts
 * (activation CRUD, dry-run), plan.ts (mapping checks, pins), policy-check.ts (labels, lineage,
 * verdict), export-sql.ts (every statement an export runs), export-files.ts (COPY → parts, row
 * encoder, writers) and runs.ts (queue, claim, execute, finish). This class is what callers use.
 */
import type { ConnectionTestResult } from '../../connectors/types';
import type { ResolvedRule } from '../audiences/service';
import type { Queryable } from '../core/db';
import type { Caller } from '../core/types';
import type { TargetUser } from '../targets/service';
import { Activations } from './activations';
import { Destinations } from './destinations';
import { ExportFiles } from './export-files';
import { Planner } from './plan';
import { PolicyCheck } from './policy-check';
import { Runs } from './runs';
import type {
  Activation,
  ActivationContext,
  ActivationDeps,
  ActivationInput,
  ActivationOptions,
  ActivationRun,
  Destination,
  DestinationInput,
  ExportedRun,
  FirstPartyDeps,
  RunCounts,
  Verdict,
} from './types';

export { ACCEPTED_IDENTITIES, DEFAULT_ACTIONS } from './destinations';
export { MAX_ACTIVATION_TARGETS } from './plan';
export { COMBINE_DATA } from './policy-check';
export { ACTIVATION_RUN_JOB, ACTIVATION_TICK_JOB } from './runs';
export type {
  Activation,
  ActivationDeps,
  ActivationInput,
  ActivationMapping,
  ActivationOptions,
  ActivationRun,
  ActivationSchedule,
  Destination,
  DestinationInput,
  DestinationKind,
  ExportedRun,
  FirstPartyDeps,
  LineageEntry,
  RunCounts,
  Verdict,
} from './types';

const DEFAULT_PART_ROWS = 5_000_000;

export class ActivationService {
  private readonly options: ActivationOptions = { partRows: DEFAULT_PART_ROWS };
  private firstPartyDeps: FirstPartyDeps | undefined;
  private readonly exportListeners: ((run: ExportedRun) => void)[] = [];
  private readonly destinations: Destinations;
  private readonly activations: Activations;
  private readonly runs: Runs;
  private readonly files: ExportFiles;

  constructor(deps: ActivationDeps) {
    const ctx: ActivationContext = {
      ...deps,
      options: this.options,
      firstParty: () => this.firstParty(),
      exported: (run) => {
        for (const l of this.exportListeners) l(run);
      },
    };
    const planner = new Planner(ctx);
    const policy = new PolicyCheck(ctx);
    this.files = new ExportFiles(ctx);
    this.activations = new Activations(ctx, planner, policy, this.files);
    this.destinations = new Destinations(ctx, (caller, candidate) => this.activations.checkDestinationChange(caller, candidate));
    this.runs = new Runs(ctx, planner, policy, this.files);
  }

  configure(options: Partial<ActivationOptions>): void {
    Object.assign(this.options, options);
  }

  useFirstParty(deps: FirstPartyDeps): void {
    this.firstPartyDeps = deps;
  }

  /** Told about every run this process delivered (metrics; services.ts wires it). */
  onExported(listener: (run: ExportedRun) => void): void {
    this.exportListeners.push(listener);
  }

  private firstParty(): FirstPartyDeps {
    if (!this.firstPartyDeps) throw new Error('activation: first-party targets are not wired (services.ts calls useFirstParty)');
    return this.firstPartyDeps;
  }

  // ---- destinations ----------------------------------------------------------------------------

  createDestination(caller: Caller, input: DestinationInput): Promise<Destination> {
    return this.destinations.create(caller, input);
  }

  listDestinations(caller: Caller): Promise<Destination[]> {
    return this.destinations.list(caller);
  }

  getDestination(caller: Caller, id: string): Promise<Destination> {
    return this.destinations.get(caller, id);
  }

  /** Settings and marketing actions changes are re-checked against every activation that uses the destination. */
  updateDestination(caller: Caller, id: string, patch: Partial<Omit<DestinationInput, 'kind'>>): Promise<Destination> {
    return this.destinations.update(caller, id, patch);
  }

  deleteDestination(caller: Caller, id: string): Promise<void> {
    return this.destinations.delete(caller, id);
  }

  testDestination(caller: Caller, id: string): Promise<ConnectionTestResult> {
    return this.destinations.test(caller, id);
  }

  // ---- activations -----------------------------------------------------------------------------

  /** Policy verdict, counts and file names of an activation as it would run now; writes nothing. */
  dryRun(caller: Caller, input: ActivationInput): Promise<{ verdict: Verdict; counts: RunCounts; files: string[] }> {
    return this.activations.dryRun(caller, input);
  }

  createActivation(caller: Caller, input: ActivationInput): Promise<{ activation: Activation; verdict: Verdict }> {
    return this.activations.create(caller, input);
  }

  listActivations(caller: Caller): Promise<Activation[]> {
    return this.activations.list(caller);
  }

  /** The activation with its verdict as of now (labels may have changed since it was saved). */
  getActivation(caller: Caller, id: string): Promise<Activation & { verdict: Verdict }> {
    return this.activations.get(caller, id);
  }

  updateActivation(caller: Caller, id: string, patch: Partial<ActivationInput>): Promise<{ activation: Activation; verdict: Verdict }> {
    return this.activations.update(caller, id, patch);
  }

  deleteActivation(caller: Caller, id: string): Promise<void> {
    return this.activations.delete(caller, id);
  }

  /** Called before an audience's rule changes: refuse when an activation using it would violate policy. */
  checkAudienceChange(caller: Caller, audienceId: string, resolved: ResolvedRule): Promise<void> {
    return this.activations.checkAudienceChange(caller, audienceId, resolved);
  }

  /** Activations that use an audience (its delete is refused while any do). */
  activationsUsing(q: Queryable, caller: Caller, audienceId: string): Promise<string[]> {
    return this.activations.activationsUsing(q, caller, audienceId);
  }

  /** Target usage (사용 현황): the activations that select each target; a used target cannot be deleted. */
  targetUsage(q: Queryable, caller: Caller, targetIds: readonly string[]): Promise<Map<string, TargetUser[]>> {
    return this.activations.targetUsage(q, caller, targetIds);
  }

  // ---- runs ------------------------------------------------------------------------------------

  /** Export now; 409 (with `runId`) while a run of the activation is queued or processing. */
  triggerRun(caller: Caller, id: string): Promise<ActivationRun> {
    return this.runs.trigger(caller, id);
  }

  listRuns(caller: Caller, id: string): Promise<ActivationRun[]> {
    return this.runs.list(caller, id);
  }

  getRun(caller: Caller, id: string, runId: string): Promise<ActivationRun> {
    return this.runs.get(caller, id, runId);
  }

  /** After an audience evaluation: run the activations scheduled "after each evaluation" (skipped while one of theirs runs). */
  afterEvaluation(caller: Caller, audienceId: string): Promise<void> {
    return this.runs.afterEvaluation(caller, audienceId);
  }

  /** Scheduler tick: queue due once/daily activations; a due slot of an activation whose run is still going is skipped. */
  queueDueRuns(): Promise<number> {
    return this.runs.queueDue();
  }

  /** Job handler of ACTIVATION_RUN_JOB. */
  executeRun(runId: string): Promise<ActivationRun | null> {
    return this.runs.execute(runId);
  }

  /** Queued runs whose job the queue lost (Redis restarted without its data), queued again; `since` null → all of them. */
  requeueLostRuns(since: Date | null): Promise<number> {
    return this.runs.requeueLost(since);
  }
}
