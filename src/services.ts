/**
 * Composition root: builds each domain module's one public service and collects their routes.
 * Modules talk to each other only through these services.
 */
import { accountRoutes } from './accounts/routes';
import { AccountService } from './accounts/service';
import { auditRoutes } from './audit/routes';
import { AuditService } from './audit/service';
import { Clock, systemClock } from './core/clock';
import { REQUEUE_JOB, REQUEUE_LOOKBACK_MS } from './core/requeue';
import { Scheduler } from './core/scheduler';
import { dailyAt, EVERY_MINUTE, hourlyAt } from './core/schedule';
import type { Db } from './core/db';
import { datasetRoutes } from './datasets/routes';
import { DatasetService } from './datasets/service';
import { batchRoutes } from './ingestion/routes';
import { BatchService } from './ingestion/service';
import { activationRoutes } from './activation/routes';
import { ACTIVATION_RUN_JOB, ACTIVATION_TICK_JOB, ActivationService } from './activation/service';
import { InsightService } from './audiences/insights';
import { audienceRoutes } from './audiences/routes';
import { AUDIENCE_TICK_JOB, AudienceService, EVALUATE_JOB } from './audiences/service';
import { dataflowRoutes } from './dataflows/routes';
import { DataflowService, RUN_JOB, TICK_JOB } from './dataflows/service';
import type { SecretBox } from './core/secrets';
import { profileRoutes } from './profiles/routes';
import { ProfileService } from './profiles/service';
import type { JobQueue } from './core/jobs';
import type { Logger } from './core/log';
import { governanceRoutes } from './governance/routes';
import { GovernanceService } from './governance/service';
import type { RouteSpec } from './http/route';
import { namespaceRoutes } from './namespaces/routes';
import { NamespaceService } from './namespaces/service';
import { schemaRoutes } from './schemas/routes';
import { SchemaService } from './schemas/service';
import { universeRoutes } from './universe/routes';
import { LINK_TICK_JOB, UniverseService } from './universe/service';
import { POPULATION_REFRESH_JOB, POPULATION_TICK_JOB, PopulationService } from './populations/service';
import { targetRoutes } from './targets/routes';
import { TargetService } from './targets/service';
// [imports:customer-files]
import { customerFileRoutes } from './customer-files/routes';
import { CustomerFileService } from './customer-files/service';
import { UPLOAD_PURGE_JOB } from './customer-files/uploads';
import { friendGroupRoutes } from './friend-groups/routes';
import { FriendGroupService } from './friend-groups/service';
// [imports:trackers]
import { trackerRoutes } from './trackers/routes';
import { EVENT_IDS_JOB, PRUNE_JOB as TRACKER_PRUNE_JOB, TrackerService } from './trackers/service';
import { matRoutes } from './mat/routes';
import { MAT_POSTBACK_KEYS_JOB, MAT_PRUNE_JOB, MatService } from './mat/service';
// [imports:campaigns]
import { campaignRoutes } from './campaigns/routes';
import { CampaignService } from './campaigns/service';
import { adResponseRoutes } from './ad-response/routes';
import { AdResponseService } from './ad-response/service';
// [imports:lookalikes]
import { lookalikeRoutes } from './lookalikes/routes';
import { LOOKALIKE_BUILD_JOB, LOOKALIKE_TICK_JOB, LookalikeService } from './lookalikes/service';
import { metricsRoutes } from './metrics/routes';
import { MetricsService } from './metrics/service';

export interface Services {
  db: Db;
  jobs: JobQueue;
  log: Logger;
  audit: AuditService;
  accounts: AccountService;
  namespaces: NamespaceService;
  schemas: SchemaService;
  governance: GovernanceService;
  datasets: DatasetService;
  batches: BatchService;
  profiles: ProfileService;
  dataflows: DataflowService;
  audiences: AudienceService;
  /** Audience sample, breakdown and overlap. */
  insights: InsightService;
  activation: ActivationService;
  /** Periodic schedules kept in PostgreSQL; every worker runs its loop. */
  scheduler: Scheduler;
  universe: UniverseService;
  populations: PopulationService;
  targets: TargetService;
  // [services:customer-files]
  customerFiles: CustomerFileService;
  friendGroups: FriendGroupService;
  // [services:trackers]
  trackers: TrackerService;
  mat: MatService;
  // [services:campaigns]
  campaigns: CampaignService;
  adResponse: AdResponseService;
  // [services:lookalikes]
  lookalikes: LookalikeService;
  /** Time source of scheduled work; tests replace `clock.now`. */
  clock: Clock;
  /** Prometheus series of this process (GET /metrics); modules record through the hooks wired below. */
  metrics: MetricsService;
}

export interface ServiceOptions {
  /** Credentials at rest; resolved on first use so commands that never touch credentials need no key. */
  secrets: () => SecretBox;
}

export function createServices(db: Db, jobs: JobQueue, log: Logger, opts: ServiceOptions): Services {
  const audit = new AuditService(db);
  const namespaces = new NamespaceService(db, audit);
  const schemas = new SchemaService(db, audit, namespaces);
  const governance = new GovernanceService(db, audit, schemas);
  // A deleted schema takes its field labels with it, in the same transaction.
  schemas.onDelete((tx, caller, schemaId) => governance.forgetSchemaLabels(tx, caller, schemaId));
  const clock = systemClock();
  const datasets = new DatasetService(db, audit, schemas, governance, clock);
  // Existence only: get() would also count the dataset's current records (0.7 s at 10M) on every
  // label lookup — each audience estimate, evaluation and activation.
  governance.useDatasetCheck((caller, id) => datasets.assertExists(caller, id));
  const batches = new BatchService(db, audit, datasets, schemas, log);
  // The batch ledger is ingestion's: a dataset's counts come from it, and its batches go with it.
  datasets.useBatchCounts((datasetId) => batches.datasetCounts(datasetId));
  datasets.onDelete((tx, caller, datasetId) => batches.forgetDataset(tx, caller, datasetId));
  const profiles = new ProfileService(db, datasets, namespaces);
  let box: SecretBox | undefined;
  const secrets = () => (box ??= opts.secrets());
  const dataflows = new DataflowService(db, audit, datasets, batches, jobs, secrets, clock, log);
  const audiences = new AudienceService(db, audit, datasets, governance, jobs, clock, log);
  profiles.useMemberships((caller, namespaceId, identity) => audiences.membershipsOf(caller, namespaceId, identity));
  const activation = new ActivationService({ db, audit, audiences, datasets, governance, namespaces, jobs, secrets, clock, log });
  audiences.useActivationChecks({
    beforeRuleChange: (caller, audienceId, resolved) => activation.checkAudienceChange(caller, audienceId, resolved),
    usedBy: (q, caller, audienceId) => activation.activationsUsing(q, caller, audienceId),
  });
  audiences.onEvaluated((caller, audienceId) => activation.afterEvaluation(caller, audienceId));
  const insights = new InsightService(db, audiences, namespaces);
  // A schema with datasets cannot be deleted: its datasets would lose their definition.
  schemas.onDelete((tx, caller, schemaId) => datasets.assertSchemaUnused(tx, caller, schemaId));
  // Before the universe: its linker's tick lists the ad accounts through this service.
  const accounts = new AccountService(db, audit, [
    (tx, id) => namespaces.seedStandard(tx, id),
    (tx, id) => governance.seedCore(tx, id),
  ]);
  const universe = new UniverseService(db, datasets, accounts, log);
  batches.onMerged((tx, storage, batch) => universe.onBatchMerged(tx, storage, batch));
  const populations = new PopulationService(db, universe, jobs, clock, log);
  universe.onRelinked((adAccountId) => populations.markAccountDue(adAccountId));
  const targets = new TargetService(db, audit, populations);
  // Activations export first-party targets as universe identities; a selected target lists the activation as its usage.
  activation.useFirstParty({ targets, universe });
  targets.useUsage((q, caller, ids) => activation.targetUsage(q, caller, ids));
  // [create:customer-files]
  const customerFiles = new CustomerFileService(db, targets, universe, clock);
  const friendGroups = new FriendGroupService(db, audit, targets, universe, clock);
  // [create:trackers]
  const trackers = new TrackerService(db, audit, targets, populations, universe, clock, log);
  const mat = new MatService(db, audit, targets, populations, universe, clock);
  // What the first-party modules feed the universe on a relink, in this order (then campaigns' reactions).
  for (const source of [...friendGroups.universeSources, ...trackers.universeSources, ...mat.universeSources]) universe.registerSource(source);
  // [create:campaigns]
  const campaigns = new CampaignService(db, audit, targets, populations, universe, clock);
  campaigns.useChannels(friendGroups);
  // A channel that message campaigns send through cannot be deleted.
  friendGroups.useChannelUsage((q, caller, channelId) => campaigns.channelUsage(q, caller, channelId));
  // Ad group targeting is what a target's usage (사용 현황) lists; deleting a used target is refused.
  targets.useUsage((q, caller, ids) => campaigns.targetUsage(q, caller, ids));
  universe.registerSource({ name: 'reactions', replay: (tx, caller) => campaigns.replayReactions(tx, caller) });
  const adResponse = new AdResponseService(db, targets, populations, campaigns, clock);
  campaigns.beforeDelete((tx, caller, refs) => adResponse.assertNotSource(tx, caller, refs));
  campaigns.onReactions((tx, adAccountId, sourceIds) => adResponse.reactionsArrived(tx, adAccountId, sourceIds));
  // [create:lookalikes]
  // Features come from the modules that own the data, each as records (record_key, nodes, feature, value).
  const lookalikes = new LookalikeService(db, audit, targets, populations, universe, datasets, friendGroups, [
    { name: 'pixel', windowDays: 120, records: (a, from) => trackers.eventFeatureRecords(a, from) },
    { name: 'reactions', windowDays: 90, records: (a, from) => campaigns.reactionFeatureRecords(a, from) },
    { name: 'mat', windowDays: 120, records: (a, from) => mat.postbackFeatureRecords(a, from) },
    { name: 'friends', windowDays: null, records: (a) => friendGroups.friendshipFeatureRecords(a) },
  ], jobs, clock, log);
  // Each target kind's population (모수) comes from the module that owns its people.
  for (const m of [customerFiles, friendGroups, trackers, mat, adResponse, lookalikes]) for (const source of m.populationSources) populations.register(source);
  // A seed used by lookalikes is part of their usage: deleting it is refused while they exist.
  targets.useUsage((q, caller, ids) => lookalikes.seedUsage(q, caller, ids));
  friendGroups.useChannelUsage((q, caller, channelId) => lookalikes.channelUsage(q, caller, channelId));
  // Counts for GET /metrics: each module tells what it did once per file, commit, request, run or count.
  const metrics = new MetricsService(db, jobs, log);
  batches.onRows(metrics.batchRows);
  activation.onExported(metrics.exported);
  trackers.onCollected(metrics.collected);
  mat.onPostbacks(metrics.postbacks);
  populations.onCounted(metrics.populationCounted);
  return {
    db, jobs, log, audit, accounts, namespaces, schemas, governance, datasets, batches, profiles, dataflows, audiences, insights, activation, clock,
    universe, populations, targets, scheduler: new Scheduler(db, jobs, log),
    // [return:customer-files]
    customerFiles, friendGroups,
    // [return:trackers]
    trackers, mat,
    // [return:campaigns]
    campaigns, adResponse,
    // [return:lookalikes]
    lookalikes,
    metrics,
  };
}

export function allRoutes(s: Services): RouteSpec[] {
  return [
    ...accountRoutes(s.accounts),
    ...namespaceRoutes(s.namespaces),
    ...schemaRoutes(s.schemas),
    ...governanceRoutes(s.governance),
    ...datasetRoutes(s.datasets),
    ...batchRoutes(s.batches),
    ...profileRoutes(s.profiles),
    ...dataflowRoutes(s.dataflows),
    ...audienceRoutes(s.audiences, s.insights),
    ...activationRoutes(s.activation),
    ...universeRoutes(s.universe),
    // Kind routes (/v1/targets/customer-files…) come before the generic /v1/targets/:id routes.
    // [routes:customer-files]
    ...customerFileRoutes(s.customerFiles),
    ...friendGroupRoutes(s.friendGroups),
    // [routes:trackers]
    ...trackerRoutes(s.trackers),
    ...matRoutes(s.mat),
    // [routes:campaigns]
    ...campaignRoutes(s.campaigns),
    ...adResponseRoutes(s.adResponse),
    // [routes:lookalikes]
    ...lookalikeRoutes(s.lookalikes),
    ...targetRoutes(s.targets),
    ...auditRoutes(s.audit),
    ...metricsRoutes(s.metrics),
  ];
}

/** Registers every background job handler on the queue (workers call jobs.start() afterwards). */
export function defineJobs(s: Services): void {
  s.jobs.define('datasets.expire', async () => ({ executed: await s.datasets.runDueExpirations() }), { concurrency: 1 });
  s.jobs.define(TICK_JOB, async () => ({ queued: await s.dataflows.queueDueRuns() }), { concurrency: 1 });
  s.jobs.define<{ runId: string }>(RUN_JOB, async ({ runId }) => s.dataflows.executeRun(runId));
  s.jobs.define(AUDIENCE_TICK_JOB, async () => ({ queued: await s.audiences.queueDueEvaluations() }), { concurrency: 1 });
  s.jobs.define<{ evaluationId: string }>(EVALUATE_JOB, async ({ evaluationId }) => s.audiences.runEvaluation(evaluationId));
  s.jobs.define(ACTIVATION_TICK_JOB, async () => ({ queued: await s.activation.queueDueRuns() }), { concurrency: 1 });
  s.jobs.define<{ runId: string }>(ACTIVATION_RUN_JOB, async ({ runId }) => s.activation.executeRun(runId));
  s.jobs.define(REQUEUE_JOB, async () => ({ requeued: await requeueLostRuns(s, new Date(Date.now() - REQUEUE_LOOKBACK_MS)) }), { concurrency: 1 });
  s.jobs.define(LINK_TICK_JOB, async () => ({ linked: await s.universe.linkAllPending() }), { concurrency: 1 });
  s.jobs.define(POPULATION_TICK_JOB, async () => ({ counted: await s.populations.refreshDue() }), { concurrency: 1 });
  s.jobs.define<{ subjectId: string }>(POPULATION_REFRESH_JOB, async ({ subjectId }) => ({ counted: await s.populations.refresh(subjectId) }));
  // [jobs:customer-files]
  s.jobs.define(UPLOAD_PURGE_JOB, async () => ({ purged: await s.customerFiles.purgeExpiredUploads() }), { concurrency: 1 });
  // [jobs:trackers]
  s.jobs.define(TRACKER_PRUNE_JOB, async () => ({ deleted: await s.trackers.prune() }), { concurrency: 1 });
  s.jobs.define(MAT_PRUNE_JOB, async () => ({ deleted: await s.mat.prune() }), { concurrency: 1 });
  s.jobs.define(EVENT_IDS_JOB, async () => ({ deleted: await s.trackers.forgetEventIds() }), { concurrency: 1 });
  s.jobs.define(MAT_POSTBACK_KEYS_JOB, async () => ({ deleted: await s.mat.forgetPostbackKeys() }), { concurrency: 1 });
  // [jobs:campaigns]
  // [jobs:lookalikes]
  s.jobs.define(LOOKALIKE_TICK_JOB, async () => ({ built: await s.lookalikes.tick() }), { concurrency: 1 });
  s.jobs.define<{ targetId: string }>(LOOKALIKE_BUILD_JOB, async ({ targetId }) => ({ built: await s.lookalikes.buildNow(targetId) }), { concurrency: 1 });
}

/**
 * Queued and in-flight dataflow runs, evaluations and activation runs whose job the queue lost, queued again
 * (core/requeue.ts); `since` null → all of them (a worker's start), else those made since then.
 */
export async function requeueLostRuns(s: Services, since: Date | null): Promise<number> {
  const requeued = {
    dataflowRuns: await s.dataflows.requeueLostRuns(since),
    evaluations: await s.audiences.requeueLostEvaluations(since),
    activationRuns: await s.activation.requeueLostRuns(since),
  };
  const total = requeued.dataflowRuns + requeued.evaluations + requeued.activationRuns;
  if (total) s.log.warn(requeued, 'queued again runs whose jobs were missing from the queue (Redis lost its data, or a process stopped before queueing them)');
  return total;
}

/** Recurring schedules (UTC), declared in PostgreSQL once workers run (src/core/scheduler.ts). */
export async function scheduleJobs(s: Services): Promise<void> {
  await s.scheduler.declare('datasets.expire', EVERY_MINUTE, 'datasets.expire');
  await s.scheduler.declare(TICK_JOB, EVERY_MINUTE, TICK_JOB);
  await s.scheduler.declare(AUDIENCE_TICK_JOB, EVERY_MINUTE, AUDIENCE_TICK_JOB);
  await s.scheduler.declare(ACTIVATION_TICK_JOB, EVERY_MINUTE, ACTIVATION_TICK_JOB);
  // Runs whose jobs Redis lost (restarted without its data) are queued again within minutes.
  await s.scheduler.declare(REQUEUE_JOB, EVERY_MINUTE, REQUEUE_JOB);
  await s.scheduler.declare(LINK_TICK_JOB, EVERY_MINUTE, LINK_TICK_JOB);
  await s.scheduler.declare(POPULATION_TICK_JOB, EVERY_MINUTE, POPULATION_TICK_JOB);
  // [schedule:customer-files]
  // Customer file and friend group uploads not saved within 24 hours.
  await s.scheduler.declare(UPLOAD_PURGE_JOB, hourlyAt(17), UPLOAD_PURGE_JOB);
  // [schedule:trackers]
  await s.scheduler.declare(TRACKER_PRUNE_JOB, dailyAt('03:17'), TRACKER_PRUNE_JOB);
  await s.scheduler.declare(MAT_PRUNE_JOB, dailyAt('03:27'), MAT_PRUNE_JOB);
  // Event ids and postback keys older than the 48 hours they deduplicate.
  await s.scheduler.declare(EVENT_IDS_JOB, hourlyAt(37), EVENT_IDS_JOB);
  await s.scheduler.declare(MAT_POSTBACK_KEYS_JOB, hourlyAt(47), MAT_POSTBACK_KEYS_JOB);
  // [schedule:campaigns]
  // [schedule:lookalikes]
  // Due lookalike builds (first builds, size changes, auto-updates every 7–9 days).
  await s.scheduler.declare(LOOKALIKE_TICK_JOB, EVERY_MINUTE, LOOKALIKE_TICK_JOB);
}
