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
 */
import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { to as copyTo } from 'pg-copy-streams';
import type { DestinationPart, DestinationWriter, PublishedFile, UploadJournal } from '../../connectors/destination-types';
import { createS3Destination } from '../../connectors/s3-destination';
import { createSftpDestination } from '../../connectors/sftp-destination';
import {
  createCsvEncoder,
  createJsonLinesEncoder,
  CsvDelimiter,
  fileNameFromTemplate,
  liveRampFileName,
  liveRampSegmentColumn,
  LIVERAMP_MAX_ROWS_PER_FILE,
  partName,
  validateLiveRampFileName,
} from '../../connectors/export-format';
import { ConnectorError, type ConnectionTestResult } from '../../connectors/types';
import type { AudienceService, ResolvedRule } from '../audiences/service';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import { Db, Queryable } from '../core/db';
import { CdpError, Conflict, Forbidden, isCdpError, isDatabaseError, NotFound, PolicyViolation, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { JobQueue } from '../core/jobs';
import type { Logger } from '../core/log';
import { checkRemotePath } from '../core/remote-path';
import { requireCredentialsOnRetarget, type SecretBox } from '../core/secrets';
import { ident } from '../core/sql';
import { assertNameFree, findOwned } from '../core/tenant';
import type { Caller } from '../core/types';
import { requestSchemas } from '../core/validation';
import type { DatasetService } from '../datasets/service';
import { qualifiedData, SYS } from '../datasets/storage';
import type { GovernanceService, LabelSource } from '../governance/service';
import { roleMay } from '../http/access';
import { NAMESPACE_TYPES, type NamespaceType } from '../namespaces/service';
import { nodeKindOf } from '../universe/nodes';
import type { NamespaceService } from '../namespaces/service';
import { mergedProfilesSql } from '../profiles/merge';
import type { TargetKind, TargetRow, TargetService, TargetUser } from '../targets/service';
import type { SqlFragment, UniverseService } from '../universe/service';
import { CellsSql, cellsSql, csvCopyOptions, CsvFileFormat, csvHeader, JSON_LINES_COPY_OPTIONS, RowScanner } from './copy-export';
import { DRAWS_ON_DATASETS, exportedValueSql, firstPartyIdentity, FirstPartyIdentity, TargetSource, targetKindName, targetSource } from './first-party';

export type DestinationKind = 's3' | 'liveramp';

/** Marketing actions each destination kind implies by default (governance may add more). */
export const DEFAULT_ACTIONS: Record<DestinationKind, string[]> = {
  s3: ['exportToThirdParty'],
  liveramp: ['exportToThirdParty', 'crossSiteTargeting'],
};

/**
 * The identity namespace types each destination kind takes (Adobe: "activate to destinations that
 * accept the identities in the prospect list"). S3 files carry any identity, partner ids included.
 * LiveRamp onboards people — PII-based (email, phone), known (mobile ad ids, cookies) and custom ids
 * (partner and app user ids) — one identity namespace per activation (the file's one identifier
 * column); a non-people id (a store, a product) resolves to no one there.
 */
export const ACCEPTED_IDENTITIES: Record<DestinationKind, readonly NamespaceType[]> = {
  s3: NAMESPACE_TYPES,
  liveramp: NAMESPACE_TYPES.filter((t) => t !== 'non_people'),
};

export interface DestinationInput {
  name: string;
  kind: DestinationKind;
  settings: Record<string, unknown>;
  credentials: Record<string, unknown>;
  marketingActions?: string[];
}

export interface Destination {
  id: string;
  name: string;
  kind: DestinationKind;
  settings: Record<string, unknown>;
  credentialsSet: string[];
  marketingActions: string[];
  /** Identity namespace types an activation to it may map (ACCEPTED_IDENTITIES). */
  acceptsIdentities: readonly NamespaceType[];
  createdAt: string;
  updatedAt: string;
}

export interface ActivationSchedule {
  type: 'once' | 'daily' | 'after_evaluation';
  /** daily: HH:MM UTC */
  at?: string;
}

export interface ActivationMapping {
  /** Identity column: namespace (id or code) of the exported identities and its column name. */
  identity: { namespace: string; column: string };
  attributes?: { field: string; column: string }[];
}

export interface ActivationInput {
  name: string;
  destinationId: string;
  /** Prospect audiences; at least one audience or target. */
  audienceIds?: string[];
  /** First-party targets (any kind) of the ad account. */
  targetIds?: string[];
  schedule: ActivationSchedule;
  mapping: ActivationMapping;
  mandatoryFields?: string[];
  /** one deduplication key: the identity (default) or 1–2 mapped attributes */
  dedup?: { fields: string[] } | null;
  enabled?: boolean;
}

export interface LineageEntry {
  label: string;
  impliedBy?: string;
  dataset: { id: string; name: string } | null;
  field: string | null;
  /** The audience read this dataset merged with others of its namespace (the merged profile). */
  merge: { namespaceId: string; datasets: number } | null;
  audience: { id: string; name: string } | null;
  /** First-party target the label came through (null for audiences and mapped attributes). */
  target: { id: string; name: string; kind: TargetKind } | null;
  /** Where the target's people come from (an upload, a tracker…). */
  source: TargetSource | null;
  /** The exported first-party identity whose identity label this is. */
  identity: { namespace: string; label: string } | null;
  activation: { id: string | null; name: string };
  destination: { id: string; name: string };
  /**
   * For people: dataset → field → (merged profile →) audience → activation → destination, or
   * source → target → identity → activation → destination.
   */
  path: string;
}

export interface Verdict {
  allowed: boolean;
  marketingActions: string[];
  labels: string[];
  violations: { policy: { id: string; name: string }; matched: unknown; marketingActions: string[]; labels: string[]; lineage: LineageEntry[] }[];
}

export interface RunCounts {
  received: number;
  activated: number;
  excludedMandatory: number;
  excludedDuplicates: number;
  failed: number;
}

export interface ActivationRun {
  id: string;
  activationId: string;
  status: 'queued' | 'processing' | 'success' | 'failed';
  trigger: string;
  counts: RunCounts;
  files: PublishedFile[];
  violation: Verdict | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface DestinationRow {
  id: string;
  ad_account_id: string;
  name: string;
  kind: DestinationKind;
  settings: Record<string, unknown>;
  secret: string;
  marketing_actions: string[];
  created_at: Date;
  updated_at: Date;
}

interface ActivationRow {
  id: string;
  ad_account_id: string;
  name: string;
  destination_id: string;
  audience_ids: string[];
  target_ids: string[];
  schedule: ActivationSchedule;
  mapping: ActivationMapping;
  mandatory_fields: string[];
  dedup: { fields: string[] } | null;
  enabled: boolean;
  next_run_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface RunRow {
  id: string;
  ad_account_id: string;
  activation_id: string;
  status: ActivationRun['status'];
  trigger: string;
  run_at: Date;
  evaluations: Record<string, { current: string; previous: string | null }> | null;
  /** Targets whose members the run pinned (null until pinned). */
  target_ids: string[] | null;
  received: string;
  activated: string;
  excluded_mandatory: string;
  excluded_duplicates: string;
  failed: string;
  files: PublishedFile[];
  violation: Verdict | null;
  error: string | null;
  attempts: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export const ACTIVATION_RUN_JOB = 'activations.run';
export const ACTIVATION_TICK_JOB = 'activations.tick';
const DEFAULT_PART_ROWS = 5_000_000;
/** Tries of one run's job; the run fails when the last one does. */
const RUN_ATTEMPTS = 3;
const S3_SECRETS = ['accessKeyId', 'secretAccessKey', 'sessionToken'];
const SFTP_SECRETS = ['password', 'privateKey', 'passphrase'];
/** The marketing action a mix of prospect audiences and first-party targets is judged against as well. */
export const COMBINE_DATA = 'combineData';
/** Targets one activation may select (audiences: 50). */
export const MAX_ACTIVATION_TARGETS = 20;

/** What an export is made of, resolved once per run or dry-run. */
interface ExportPlan {
  activation: { id: string | null; name: string };
  destination: DestinationRow;
  audiences: { id: string; name: string; resolved: ResolvedRule }[];
  /** First-party targets, exported as universe identities of `identity`'s kind. */
  targets: { id: string; name: string; kind: TargetKind; row: TargetRow }[];
  /** Set when targets are selected. */
  identity: FirstPartyIdentity | null;
  namespace: { id: string; code: string };
  identityColumn: string;
  attributes: { field: string; column: string }[];
  mandatory: string[];
  dedup: string[];
}

export interface ActivationOptions {
  /** Rows per S3 part (Adobe: 5M). */
  partRows: number;
  /** Tests inject a failure after this many rows of a part, to crash a run mid-export. */
  crashAfterRows?: number;
  writerFor?: (kind: DestinationKind, settings: Record<string, unknown>, credentials: Record<string, unknown>) => DestinationWriter;
}

/** What exporting first-party targets needs (wired after both exist: they are built after activation). */
export interface FirstPartyDeps {
  targets: TargetService;
  universe: UniverseService;
}

type CopyToStreamQuery = ReturnType<typeof copyTo>;
type Pins = Record<string, { current: string; previous: string | null }>;

/** One file's rows for COPY, and how its exclusions are counted. */
interface ExportRows {
  /** The written rows' cells in file order, excluded rows left out. */
  sql: string;
  bindings: unknown[];
  /** One row: `received`, `mandatory`, `duplicates`; a null one is what received − written leaves. */
  countSql: string;
  countBindings: unknown[];
  /** The same rows with `mandatory_ok` and `dup`, for the row-by-row encoder (formats COPY cannot write). */
  legacy: { sql: string; bindings: unknown[] };
}

/** What a file looks like: CSV (settings of the destination) or JSON lines, gzip or not. */
interface FileFormat extends CsvFileFormat {
  gzip: boolean;
  format: 'csv' | 'jsonl';
  /** Line breaks in cells and column names become spaces (LiveRamp). */
  singleLine?: boolean;
}

export class ActivationService {
  private readonly options: ActivationOptions = { partRows: DEFAULT_PART_ROWS };
  private firstPartyDeps: FirstPartyDeps | undefined;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly audiences: AudienceService,
    private readonly datasets: DatasetService,
    private readonly governance: GovernanceService,
    private readonly namespaces: NamespaceService,
    private readonly jobs: JobQueue,
    private readonly secrets: () => SecretBox,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  configure(options: Partial<ActivationOptions>): void {
    Object.assign(this.options, options);
  }

  useFirstParty(deps: FirstPartyDeps): void {
    this.firstPartyDeps = deps;
  }

  private get firstParty(): FirstPartyDeps {
    if (!this.firstPartyDeps) throw new Error('activation: first-party targets are not wired (services.ts calls useFirstParty)');
    return this.firstPartyDeps;
  }

  // ---- destinations ----------------------------------------------------------------------------

  async createDestination(caller: Caller, input: DestinationInput): Promise<Destination> {
    checkMayGovern(caller, input.marketingActions);
    checkDestination(input.kind, input.settings, input.credentials);
    checkDestinationPaths(input.kind, input.settings);
    const actions = input.marketingActions ?? DEFAULT_ACTIONS[input.kind];
    await this.checkActions(caller, actions);
    const id = newId('dest');
    return this.db.transaction(async (tx) => {
      await this.assertFree(tx, 'destinations', caller, input.name);
      const [row] = await tx('destinations')
        .insert({
          id,
          ad_account_id: caller.adAccountId,
          name: input.name,
          kind: input.kind,
          settings: JSON.stringify(input.settings),
          secret: this.secrets().seal(input.credentials),
          marketing_actions: [...new Set([...DEFAULT_ACTIONS[input.kind], ...actions])],
          created_by: caller.keyId,
        })
        .returning('*');
      const dto = this.toDestination(row);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'destination', resourceId: id, after: dto });
      return dto;
    });
  }

  async listDestinations(caller: Caller): Promise<Destination[]> {
    return (await this.db<DestinationRow>('destinations').where({ ad_account_id: caller.adAccountId }).orderBy('id')).map((r) => this.toDestination(r));
  }

  async getDestination(caller: Caller, id: string): Promise<Destination> {
    return this.toDestination(await this.destinationRow(this.db, caller, id));
  }

  /** Settings and marketing actions changes are re-checked against every activation that uses the destination. */
  async updateDestination(caller: Caller, id: string, patch: Partial<Omit<DestinationInput, 'kind'>>): Promise<Destination> {
    checkMayGovern(caller, patch.marketingActions);
    const row = await this.destinationRow(this.db, caller, id);
    if (patch.marketingActions) await this.checkActions(caller, patch.marketingActions);
    const settings = { ...row.settings, ...(patch.settings ?? {}) };
    requestSchemas().check(row.kind === 's3' ? 'destination-s3-settings' : 'destination-liveramp-settings', settings, 'body', '/settings');
    // Only what this patch sets: a stored path is the connector's to refuse.
    checkDestinationPaths(row.kind, patch.settings ?? {});
    // Stored credentials never follow the destination to another server: a new target needs them again.
    requireCredentialsOnRetarget(row.settings, settings, patch.credentials, ['host', 'port', 'username', 'endpoint', 'bucket', 'region']);
    const credentials = patch.credentials ? { ...this.secrets().open<Record<string, unknown>>(row.secret), ...patch.credentials } : undefined;
    checkDestination(row.kind, settings, credentials ?? this.secrets().open(row.secret));
    const actions = patch.marketingActions ? [...new Set([...DEFAULT_ACTIONS[row.kind], ...patch.marketingActions])] : row.marketing_actions;
    const candidate: DestinationRow = { ...row, settings, marketing_actions: actions, name: patch.name ?? row.name };
    for (const a of await this.db<ActivationRow>('activations').where({ destination_id: id })) {
      // Only the policy question here: a target still being counted is not this change's concern.
      const verdict = await this.verdict(caller, await this.plan(caller, a, candidate, {}, { requireUsable: false }));
      if (!verdict.allowed) throw violation(verdict, `This change would make activation "${a.name}" violate data usage policy`);
    }
    return this.db.transaction(async (tx) => {
      if (patch.name !== undefined && patch.name.toLowerCase() !== row.name.toLowerCase()) await this.assertFree(tx, 'destinations', caller, patch.name);
      const [updated] = await tx('destinations')
        .where({ id })
        .update({
          name: candidate.name,
          settings: JSON.stringify(settings),
          marketing_actions: actions,
          ...(credentials ? { secret: this.secrets().seal(credentials) } : {}),
          updated_at: tx.fn.now(),
        })
        .returning('*');
      const after = this.toDestination(updated);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'destination', resourceId: id, before: this.toDestination(row), after });
      return after;
    });
  }

  async deleteDestination(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.destinationRow(tx, caller, id, true);
      const used = await tx('activations').where({ destination_id: id }).select('id');
      if (used.length) throw new Conflict(`Destination ${id} is used by activations ${used.map((u: { id: string }) => u.id).join(', ')}; delete them first`);
      await tx('destinations').where({ id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'destination', resourceId: id, before: this.toDestination(row) });
    });
  }

  async testDestination(caller: Caller, id: string): Promise<ConnectionTestResult> {
    const row = await this.destinationRow(this.db, caller, id);
    let writer: DestinationWriter;
    try {
      writer = this.writer(row);
    } catch (err) {
      // A writer refuses settings stored before they were checked (e.g. a prefix with "..").
      if (err instanceof ConnectorError) return { ok: false, reason: err.reason, message: err.message };
      throw err;
    }
    try {
      return await writer.test();
    } finally {
      await writer.close().catch(() => undefined);
    }
  }

  // ---- activations -----------------------------------------------------------------------------

  /** Policy verdict, counts and file names of an activation as it would run now; writes nothing. */
  async dryRun(caller: Caller, input: ActivationInput): Promise<{ verdict: Verdict; counts: RunCounts; files: string[] }> {
    const destination = await this.destinationRow(this.db, caller, input.destinationId).catch(notFoundAt('/destinationId'));
    const plan = await this.plan(caller, draftRow(caller, input), destination);
    const verdict = await this.verdict(caller, plan);
    const pins = await this.pins(caller, plan, false);
    if (plan.targets.length) await this.firstParty.universe.linkPending(caller.adAccountId);
    const counts = await this.count(caller, plan, pins);
    const files = this.fileNames(plan, this.clock.now(), counts.activated);
    return { verdict, counts, files };
  }

  async createActivation(caller: Caller, input: ActivationInput): Promise<{ activation: ReturnType<typeof toActivation>; verdict: Verdict }> {
    checkSchedule(input.schedule);
    const destination = await this.destinationRow(this.db, caller, input.destinationId).catch(notFoundAt('/destinationId'));
    const row = draftRow(caller, input);
    const plan = await this.plan(caller, row, destination);
    const verdict = await this.verdict(caller, plan);
    if (!verdict.allowed) throw violation(verdict, `Activation "${input.name}" would violate data usage policy`);
    const id = newId('act');
    return this.db.transaction(async (tx) => {
      await this.assertFree(tx, 'activations', caller, input.name);
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
          next_run_at: firstRun(input.schedule, this.clock.now()),
          created_by: caller.keyId,
        })
        .returning('*');
      const activation = toActivation(created);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'activation', resourceId: id, after: activation });
      return { activation, verdict };
    });
  }

  async listActivations(caller: Caller): Promise<ReturnType<typeof toActivation>[]> {
    return (await this.db<ActivationRow>('activations').where({ ad_account_id: caller.adAccountId }).orderBy('id')).map(toActivation);
  }

  /** The activation with its verdict as of now (labels may have changed since it was saved). */
  async getActivation(caller: Caller, id: string): Promise<ReturnType<typeof toActivation> & { verdict: Verdict }> {
    const row = await this.activationRow(this.db, caller, id);
    const plan = await this.plan(caller, row, await this.destinationRow(this.db, caller, row.destination_id), {}, { requireUsable: false });
    return { ...toActivation(row), verdict: await this.verdict(caller, plan) };
  }

  async updateActivation(caller: Caller, id: string, patch: Partial<ActivationInput>): Promise<{ activation: ReturnType<typeof toActivation>; verdict: Verdict }> {
    if (patch.schedule) checkSchedule(patch.schedule);
    const row = await this.activationRow(this.db, caller, id);
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
    const destination = await this.destinationRow(this.db, caller, next.destination_id).catch(notFoundAt('/destinationId'));
    const verdict = await this.verdict(caller, await this.plan(caller, next, destination));
    if (!verdict.allowed) throw violation(verdict, `This change would make activation "${next.name}" violate data usage policy`);
    return this.db.transaction(async (tx) => {
      if (next.name.toLowerCase() !== row.name.toLowerCase()) await this.assertFree(tx, 'activations', caller, next.name);
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
          ...(patch.schedule ? { next_run_at: firstRun(next.schedule, this.clock.now()) } : {}),
          updated_at: tx.fn.now(),
        })
        .returning('*');
      const activation = toActivation(updated);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'activation', resourceId: id, before: toActivation(row), after: activation });
      return { activation, verdict };
    });
  }

  async deleteActivation(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.activationRow(tx, caller, id, true);
      await tx('activations').where({ id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'activation', resourceId: id, before: toActivation(row) });
    });
  }

  /** Called before an audience's rule changes: refuse when an activation using it would violate policy. */
  async checkAudienceChange(caller: Caller, audienceId: string, resolved: ResolvedRule): Promise<void> {
    const users = await this.db<ActivationRow>('activations').where({ ad_account_id: caller.adAccountId }).whereRaw('? = any(audience_ids)', [audienceId]);
    for (const a of users) {
      const destination = await this.destinationRow(this.db, caller, a.destination_id);
      const plan = await this.plan(caller, a, destination, { [audienceId]: resolved }, { requireUsable: false });
      const verdict = await this.verdict(caller, plan);
      if (!verdict.allowed) throw violation(verdict, `This rule would make activation "${a.name}" violate data usage policy`);
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

  // ---- runs ------------------------------------------------------------------------------------

  /**
   * Export now. An activation has one run queued or processing at most: while one is, a new start
   * is refused (409 with that run's id, `runId`), as Adobe refuses an ad-hoc export beside a running one.
   */
  async triggerRun(caller: Caller, id: string): Promise<ActivationRun> {
    const queued = await this.db.transaction(async (tx) => this.queueRun(tx, await this.activationRow(tx, caller, id, true), 'manual'));
    if ('busy' in queued) {
      const busy = queued.busy;
      throw new Conflict(`Activation ${id} already has run ${busy.id} ${busy.status}; wait until it finishes (GET /v1/activations/${id}/runs/${busy.id}), then start another`, {
        runId: busy.id,
        runStatus: busy.status,
      });
    }
    await this.enqueueRun(queued.run);
    return this.getRun(caller, id, queued.run.id);
  }

  async listRuns(caller: Caller, id: string): Promise<ActivationRun[]> {
    await this.activationRow(this.db, caller, id);
    return (await this.db<RunRow>('activation_runs').where({ activation_id: id }).orderBy('id', 'desc').limit(100)).map(toRun);
  }

  async getRun(caller: Caller, id: string, runId: string): Promise<ActivationRun> {
    await this.activationRow(this.db, caller, id);
    const row = await this.db<RunRow>('activation_runs').where({ id: runId, activation_id: id }).first();
    if (!row) throw new NotFound(`Run ${runId} not found`);
    return toRun(row);
  }

  /** After an audience evaluation: run the activations scheduled "after each evaluation" (skipped while one of theirs runs). */
  async afterEvaluation(caller: Caller, audienceId: string): Promise<void> {
    const rows = await this.db<ActivationRow>('activations')
      .where({ ad_account_id: caller.adAccountId, enabled: true })
      .whereRaw(`schedule->>'type' = 'after_evaluation'`)
      .whereRaw('? = any(audience_ids)', [audienceId])
      .select('id');
    for (const r of rows) {
      const queued = await this.db.transaction(async (tx) => {
        const row = await tx<ActivationRow>('activations').where({ id: r.id, enabled: true }).whereRaw(`schedule->>'type' = 'after_evaluation'`).forUpdate().first();
        return row ? this.queueRun(tx, row, 'after_evaluation') : null;
      });
      if (queued && 'run' in queued) await this.enqueueRun(queued.run);
    }
  }

  /** Scheduler tick: queue due once/daily activations; a due slot of an activation whose run is still going is skipped. */
  async queueDueRuns(): Promise<number> {
    let queued = 0;
    for (;;) {
      const result = await this.db.transaction(async (tx) => {
        const due = await tx<ActivationRow>('activations').where('enabled', true).where('next_run_at', '<=', this.clock.now()).forUpdate().skipLocked().first();
        return due ? this.queueRun(tx, due, 'schedule') : undefined;
      });
      if (!result) return queued;
      if ('run' in result) {
        await this.enqueueRun(result.run);
        queued += 1;
      }
    }
  }

  /**
   * Inserts a queued run, in the caller's transaction that holds the activation's row lock (so two
   * triggers cannot both queue), unless a run is queued or processing (`busy`). The schedule moves
   * on in the same transaction: a `once` activation has no next run once any run has started — it
   * was its one delivery — and a schedule slot is spent even when skipped.
   */
  private async queueRun(tx: Queryable, row: ActivationRow, trigger: 'manual' | 'schedule' | 'after_evaluation'): Promise<{ run: RunRow } | { busy: RunRow }> {
    const busy = await tx<RunRow>('activation_runs').where({ activation_id: row.id }).whereIn('status', ['queued', 'processing']).orderBy('id').first();
    const spent = trigger === 'schedule' || (!busy && row.schedule.type === 'once');
    if (spent && row.next_run_at !== null) {
      await tx('activations').where({ id: row.id }).update({ next_run_at: trigger === 'schedule' ? nextRun(row.schedule, this.clock.now()) : null });
    }
    if (busy) return { busy };
    const [run] = await tx('activation_runs')
      .insert({ id: newId('arun'), ad_account_id: row.ad_account_id, activation_id: row.id, status: 'queued', trigger, run_at: this.clock.now() })
      .returning('*');
    return { run };
  }

  /** Hands a queued run to the job queue; a run the queue would not take fails, so it blocks no later run. */
  private async enqueueRun(run: RunRow): Promise<void> {
    try {
      await this.jobs.enqueue(ACTIVATION_RUN_JOB, { runId: run.id }, { jobId: run.id, attempts: RUN_ATTEMPTS, backoffMs: 500 });
    } catch (err) {
      await this.finish(run.id, { status: 'failed', error: 'The run could not be queued (the job queue did not answer); start it again' }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Job handler. Checks policy first (a violation fails the run before any byte is written), pins
   * the evaluations on the first attempt, then exports. A thrown error lets the queue retry the
   * job; the retry re-exports the same pins to the same names.
   */
  async executeRun(runId: string): Promise<ActivationRun | null> {
    const run = await this.db<RunRow>('activation_runs').where({ id: runId }).first();
    if (!run || run.status === 'success' || run.status === 'failed') return run ? toRun(run) : null;
    const row = await this.db<ActivationRow>('activations').where({ id: run.activation_id }).first();
    if (!row) return null;
    const caller: Caller = { keyId: `system:activation:${row.id}`, role: 'marketer', organizationId: '', adAccountId: row.ad_account_id, orgWide: false };
    await this.db('activation_runs').where({ id: runId }).update({ status: 'processing', started_at: run.started_at ?? this.clock.now(), attempts: run.attempts + 1 });
    let plan: ExportPlan;
    let verdict: Verdict;
    try {
      plan = await this.plan(caller, row, await this.destinationRow(this.db, caller, row.destination_id));
      verdict = await this.verdict(caller, plan);
    } catch (err) {
      if (!isCdpError(err)) {
        // The last try fails the run: a run left processing would refuse every later start.
        if (run.attempts + 1 >= RUN_ATTEMPTS) {
          this.log.error({ runId, err }, 'activation run failed before export');
          await this.finish(runId, { status: 'failed', error: `The run failed because of an internal error (logged with run ${runId}); start a new run later` });
        }
        throw err;
      }
      // A request-level problem (e.g. a mapped field's dataset was deleted) will not heal on retry.
      await this.finish(runId, { status: 'failed', error: err.message });
      return this.getRun(caller, row.id, runId);
    }
    if (!verdict.allowed) {
      await this.finish(runId, { status: 'failed', violation: verdict, error: 'Blocked by data usage policy before export; see violation for the lineage' });
      return this.getRun(caller, row.id, runId);
    }
    let pins = run.evaluations;
    let runAt = run.run_at;
    try {
      if (!pins) {
        pins = await this.pins(caller, plan, true);
        // Two runs in the same second would share file names: move this one to a free second.
        runAt = await this.freeRunTime(plan, runAt);
        if (plan.targets.length) await this.firstParty.universe.linkPending(caller.adAccountId);
        const pinned = pins;
        // Target members are materialised with the pins, all or nothing: a retry finds both or neither.
        await this.db.transaction(async (tx) => {
          await tx('activation_target_members').where({ run_id: runId }).delete();
          for (const t of plan.targets) await this.pinTarget(tx, caller, plan, runId, t);
          await tx('activation_runs')
            .where({ id: runId })
            .update({ evaluations: JSON.stringify(pinned), run_at: runAt, target_ids: plan.targets.map((t) => t.id) });
        });
      } else {
        // A retry exports what the first attempt pinned; an activation edited in between cannot.
        const pinnedTargets = run.target_ids ?? [];
        const same = plan.audiences.every((a) => pins![a.id]) && pinnedTargets.length === plan.targets.length && plan.targets.every((t) => pinnedTargets.includes(t.id));
        if (!same) throw new Conflict('The activation\'s audiences or targets changed after this run pinned its members; start a new run');
      }
      const { counts, files } = await this.export(plan, pins!, runAt, runId);
      await this.finish(runId, { status: 'success', counts, files });
    } catch (err) {
      const message = isDatabaseError(err)
        ? `The run failed because of an internal error (logged with run ${runId}); it is retried, or start a new run later`
        : (err as Error).message;
      if (isDatabaseError(err)) this.log.error({ runId, err }, 'activation run failed in the database');
      if (err instanceof Conflict) {
        // Nothing to retry (e.g. an audience never evaluated): the run fails with the reason.
        await this.finish(runId, { status: 'failed', error: message });
        return this.getRun(caller, row.id, runId);
      }
      this.log.warn({ runId, activationId: row.id, err: message }, 'activation run attempt failed');
      await this.db('activation_runs').where({ id: runId }).update({ error: message });
      const fresh = await this.db<RunRow>('activation_runs').where({ id: runId }).first();
      if ((fresh?.attempts ?? 0) >= RUN_ATTEMPTS) {
        await this.finish(runId, { status: 'failed', error: message });
        return this.getRun(caller, row.id, runId);
      }
      throw err; // the queue retries with the same pins
    }
    return this.getRun(caller, row.id, runId);
  }

  // ---- planning and policy ---------------------------------------------------------------------

  private async plan(
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
      throw ruleError('/targetIds', 'maxItems', `An activation selects at most ${MAX_ACTIVATION_TARGETS} targets; split it into several activations`);
    }
    const audiences = [];
    // Mapped attributes are read from the merged profile: the datasets holding them are read too.
    const mappedFields = (row.mapping.attributes ?? []).map((x) => x.field);
    for (const [i, id] of row.audience_ids.entries()) {
      const a = await this.audiences.findRow(this.db, caller, id).catch(notFoundAt(`/audienceIds/${i}`));
      const resolved = await this.audiences.resolveRule(caller, override[id]?.text ?? a.rule_text, '/rule', undefined, mappedFields);
      audiences.push({ id, name: a.name, resolved });
    }
    const ns = await this.namespaces.get(caller, row.mapping.identity.namespace).catch(notFoundAt('/mapping/identity/namespace'));
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

  /**
   * The selected targets: each must exist in the caller's account (422 `/targetIds/<i>`) and, unless
   * only viewing, have a counted population (not preparing 준비중 or failed 생성실패).
   */
  private async resolveTargets(caller: Caller, ids: readonly string[], requireUsable: boolean): Promise<ExportPlan['targets']> {
    if (ids.length === 0) return [];
    const { targets } = this.firstParty;
    const rows: TargetRow[] = [];
    for (const [i, id] of ids.entries()) rows.push(await targets.find(this.db, caller, null, id).catch(notFoundAt(`/targetIds/${i}`)));
    if (requireUsable) {
      const bases = await targets.bases(this.db, rows);
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
      for (const p of a.resolved.plans) datasetNames.set(p.datasetId, (await this.datasets.findRow(this.db, caller, p.datasetId)).name);
      const sources = await this.audiences.labelSources(caller, a.resolved);
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
          const attrSources = await this.governance.gatherLabels(caller, { fields });
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
    const evaluation = await this.governance.evaluate(caller, { marketingActions: actions, labels });
    const violations = evaluation.violations.map((v) => ({
      policy: { id: v.policy.id, name: v.policy.name },
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
        const datasets = await this.datasets.profileDatasets(caller, 'first_party');
        const byDataset = await this.governance.labelsOfDatasets(caller, datasets.map((d) => d.id));
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
    for (const d of await this.datasets.profileDatasets(caller, 'first_party')) {
      const storage = await this.datasets.storage(caller, d.id);
      const paths = storage.fields
        .filter((f) => f.identity && nodeKindOf({ code: f.identity.namespace, type: f.identity.namespaceType as NamespaceType }) === kind)
        .map((f) => f.path);
      if (paths.length === 0) continue;
      const labels = await this.governance.gatherLabels(caller, { fields: [{ schemaId: d.schema_id, paths }], datasetIds: [d.id] });
      out.push({ dataset: { id: d.id, name: d.name }, labels });
    }
    return out;
  }

  // ---- export ----------------------------------------------------------------------------------

  /** Current (and previous, for `expired`) evaluation of each audience. */
  private async pins(caller: Caller, plan: ExportPlan, required: boolean): Promise<Pins> {
    const out: Pins = {};
    for (const a of plan.audiences) {
      const current = await this.audiences.latestEvaluation(caller, a.id);
      if (!current) {
        if (required) throw new Conflict(`Audience "${a.name}" has not been evaluated yet; evaluate it first (POST /v1/audiences/${a.id}/evaluations)`);
        continue;
      }
      const previous = await this.audiences.previousEvaluation(caller, a.id, current.id);
      out[a.id] = { current: current.id, previous: previous?.id ?? null };
    }
    return out;
  }

  /**
   * The exported members of a first-party target, `(person_id, identity)`: one row per identity of
   * the mapped kind (hashes computed here from the plain values, plus identities sources sent
   * hashed), and one row with a null identity per person who has none (excluded, counted).
   */
  private targetMembersSql(adAccountId: string, people: SqlFragment, identity: FirstPartyIdentity): SqlFragment {
    const { universe } = this.firstParty;
    const ofP: SqlFragment = { sql: 'select person_id from p', bindings: [] };
    const plain = universe.identitiesOfPeople(adAccountId, ofP, identity.kind);
    const parts = [`select v.person_id, ${exportedValueSql(identity, 'v.value')} as identity from (${plain.sql}) v`];
    const bindings = [...people.bindings, ...plain.bindings];
    if (identity.hashedKind) {
      const hashed = universe.identitiesOfPeople(adAccountId, ofP, identity.hashedKind);
      parts.push(`select v.person_id, v.value as identity from (${hashed.sql}) v`);
      bindings.push(...hashed.bindings);
    }
    return {
      sql: `with p as (select distinct pp.person_id from (${people.sql}) pp),
            ids as (${parts.join(' union ')})
            select p.person_id, ids.identity from p left join ids on ids.person_id = p.person_id`,
      bindings,
    };
  }

  /** Materialises a target's exported members for a run (set-based, in the pinning transaction). */
  private async pinTarget(tx: Queryable, caller: Caller, plan: ExportPlan, runId: string, t: ExportPlan['targets'][number]): Promise<void> {
    const people = await this.firstParty.targets.peopleOf(tx, caller, t.row);
    const members = this.targetMembersSql(caller.adAccountId, people, plan.identity!);
    await tx.raw(
      `insert into activation_target_members (run_id, target_id, person_id, identity)
       select ?, ?, m.person_id, m.identity from (${members.sql}) m`,
      [runId, t.id, ...members.bindings] as never[],
    );
  }

  /**
   * The merged profiles of the datasets the audiences read for the mapped namespace, one row per
   * identity: `identity`, `seq`, `a0…` (mapped attributes as text), each attribute the most recently
   * merged batch's non-null value (profiles/merge.ts), as the profile view and the audiences merge.
   */
  private recordsSql(plan: ExportPlan): string {
    const datasets = new Map<string, { table: string; columns: Map<string, string> }>();
    for (const a of plan.audiences) for (const p of a.resolved.plans) if (p.namespaceId === plan.namespace.id) datasets.set(p.datasetId, { table: p.table, columns: p.columns });
    const attrs = plan.attributes;
    const a = (i: number) => ident(`a${i}`);
    if (datasets.size === 0) return `select null::text as identity, 0::bigint as seq${attrs.map((_x, i) => `, null::text as ${a(i)}`).join('')} where false`;
    const merged = mergedProfilesSql(
      [...datasets.values()].map((d) => ({ table: d.table, values: attrs.map((x) => (d.columns.has(x.field) ? `${d.columns.get(x.field)}::text` : undefined)) })),
      attrs.map(() => 'null::text'),
    );
    return `select m.identity, m.seq${attrs.map((_x, i) => `, m.${ident(`v${i}`)} as ${a(i)}`).join('')} from (${merged}) m`;
  }


  /**
   * The members of the pinned evaluations (and pinned target members), one row per identity:
   * `identity`, for LiveRamp (`withStatus`) `s0…` — `active`/`expired` per audience, `active` per
   * target — and `from_target`.
   */
  private membersSql(evaluations: { current: string; previous: string | null }[], namespaceId: string, withStatus: boolean, targets?: { runId: string; ids: string[] }): { sql: string; bindings: unknown[]; statusNames: string[] } {
    const targetIds = targets?.ids ?? [];
    const bindings: unknown[] = [];
    const statusNames: string[] = [];
    let status = '';
    if (withStatus) {
      evaluations.forEach((e, i) => {
        status += `, case when bool_or(u.src = ?) then 'active' when bool_or(u.src = ?) then 'expired' end as ${ident(`s${i}`)}`;
        bindings.push(e.current, e.previous ?? '');
        statusNames.push(`s${i}`);
      });
      // A target has no snapshots: its members are `active`, never `expired`.
      targetIds.forEach((id, j) => {
        const name = `s${evaluations.length + j}`;
        status += `, case when bool_or(u.src = ?) then 'active' end as ${ident(name)}`;
        bindings.push(id);
        statusNames.push(name);
      });
    }
    const ids = evaluations.flatMap((e) => (withStatus && e.previous ? [e.current, e.previous] : [e.current]));
    bindings.push(ids, namespaceId);
    let fromTargets = '';
    if (targets) {
      fromTargets = `union all
          select t.identity, t.target_id, true from activation_target_members t
          where t.run_id = ? and t.target_id = any(?::text[]) and t.identity is not null`;
      bindings.push(targets.runId, targetIds);
    }
    const sql = `select u.identity${status}, bool_or(u.from_target) as from_target from (
          select m.identity, m.evaluation_id as src, false as from_target from audience_members m
          where m.evaluation_id = any(?::text[]) and m.namespace_id = ?
          ${fromTargets}
        ) u group by u.identity`;
    return { sql, bindings, statusNames };
  }

  /** The target's people without an identity of the mapped kind (excluded rows, once each). */
  private missingSql(targets: { runId: string; ids: string[] }): { sql: string; bindings: unknown[] } {
    return {
      sql: 'select distinct t.person_id from activation_target_members t where t.run_id = ? and t.target_id = any(?::text[]) and t.identity is null',
      bindings: [targets.runId, targets.ids],
    };
  }

  /**
   * One statement yielding the exported rows of the pinned evaluations (and pinned target members):
   * identity, mapped attributes (from the newest current record among the datasets read), whether
   * the mandatory attributes are present, and the row's rank within its deduplication key. For
   * LiveRamp (`withStatus`), one row per identity in any audience now or in its previous snapshot or
   * in any target, with `active`/`expired` per audience and `active` per target. Rows that come
   * from a target are never excluded for missing attributes (attributes are the audiences'); the
   * target's people without an identity of the mapped kind come last, once each, as excluded rows.
   * Dry-runs count it; runs export it as it is only with a deduplication key (see exportRows).
   */
  private rowsSql(plan: ExportPlan, evaluations: { current: string; previous: string | null }[], withStatus: boolean, targets?: { runId: string; ids: string[] }, ordered = true): { sql: string; bindings: unknown[] } {
    const attrs = plan.attributes;
    const attrName = (i: number) => ident(`a${i}`);
    const column = (field: string) => `r.${attrName(attrs.findIndex((a) => a.field === field))}`;
    const mandatoryOk = plan.mandatory.length ? plan.mandatory.map((f) => `${column(f)} is not null`).join(' and ') : 'true';
    const dedupKey = plan.dedup.length ? plan.dedup.map(column).join(', ') : 'mb.identity';
    const members = this.membersSql(evaluations, plan.namespace.id, withStatus, targets);
    const bindings: unknown[] = [...members.bindings];
    let missing = '';
    let missingRows = '';
    if (targets) {
      const m = this.missingSql(targets);
      missing = `, missing as (${m.sql})`;
      bindings.push(...m.bindings);
      const nulls = [...members.statusNames, ...attrs.map((_a, i) => `a${i}`)].map((c) => `, null::text as ${ident(c)}`).join('');
      missingRows = `union all select null::text as identity${nulls}, false as mandatory_ok, 1::bigint as dup from missing`;
    }
    const outColumns = ['identity', ...members.statusNames, ...attrs.map((_a, i) => `a${i}`), 'mandatory_ok', 'dup'].map((c) => ident(c)).join(', ');
    const sql = `with members as (${members.sql}),
      records as (${this.recordsSql(plan)}),
      joined as (
        select mb.*${attrs.map((_a, i) => `, r.${attrName(i)}`).join('')},
               (mb.from_target or (r.identity is not null and ${mandatoryOk})) as mandatory_ok,
               case when mb.from_target and r.identity is null then 1::bigint
                    else row_number() over (partition by (mb.from_target and r.identity is null), ${dedupKey} order by mb.identity) end as dup
        from members mb left join records r on r.identity = mb.identity
      )${missing}
      select ${outColumns} from joined ${missingRows}
      ${ordered ? 'order by identity nulls last' : ''}`;
    return { sql, bindings };
  }

  /**
   * A file's rows as PostgreSQL writes them (cells per `cells`, excluded rows left out, in file
   * order), with how its exclusions are counted. Without a deduplication key no row can be a
   * duplicate (one member row per identity, one record per identity), so the statement needs no
   * window, and with one evaluation no grouping either; the excluded rows are then the members not
   * written, counted from the members alone. A deduplication key keeps the full statement: an
   * excluded row still takes its key's first place, and the counts need a pass of their own.
   */
  private exportRows(plan: ExportPlan, evaluations: { current: string; previous: string | null }[], withStatus: boolean, targets: { runId: string; ids: string[] } | undefined, cells: CellsSql): ExportRows {
    const attrs = plan.attributes.map((_a, i) => ident(`a${i}`));
    const legacy = this.rowsSql(plan, evaluations, withStatus, targets);
    if (plan.dedup.length) {
      const unordered = this.rowsSql(plan, evaluations, withStatus, targets, false);
      const statuses = this.membersSql(evaluations, plan.namespace.id, withStatus, targets).statusNames.map((s) => `q.${ident(s)}`);
      return {
        sql: `select ${cells('q.identity', statuses, attrs.map((a) => `q.${a}`))} from (${unordered.sql}) q where q.mandatory_ok and q.dup = 1 order by q.identity`,
        bindings: unordered.bindings,
        countSql: `select count(*) as received, count(*) filter (where not mandatory_ok) as mandatory, count(*) filter (where mandatory_ok and dup > 1) as duplicates from (${unordered.sql}) q`,
        countBindings: unordered.bindings,
        legacy,
      };
    }
    const column = (field: string) => `r.${ident(`a${plan.attributes.findIndex((a) => a.field === field)}`)}`;
    const mandatory = plan.mandatory.map((f) => ` and ${column(f)} is not null`).join('');
    const recordCells = attrs.map((a) => `r.${a}`);
    if (!withStatus && !targets && evaluations.length === 1) {
      // Without a record the mandatory check fails: an inner join, straight off the snapshot's primary key.
      const keys = [evaluations[0]!.current, plan.namespace.id];
      // The members: the evaluation's stored count when the snapshot holds no other namespace (two
      // primary-key probes), else counted — a second read of the snapshot.
      return {
        sql: `select ${cells('m.identity', [], recordCells)} from audience_members m join (${this.recordsSql(plan)}) r on r.identity = m.identity
              where m.evaluation_id = ? and m.namespace_id = ?${mandatory} order by m.identity`,
        bindings: keys,
        countSql: `select case when exists (select 1 from audience_members where evaluation_id = ? and namespace_id < ?)
                                 or exists (select 1 from audience_members where evaluation_id = ? and namespace_id > ?)
                            then (select count(*) from audience_members where evaluation_id = ? and namespace_id = ?)
                            else (select members from audience_evaluations where id = ?) end as received,
                       null::bigint as mandatory, 0::bigint as duplicates`,
        countBindings: [...keys, ...keys, ...keys, keys[0]],
        legacy,
      };
    }
    const members = this.membersSql(evaluations, plan.namespace.id, withStatus, targets);
    const missing = targets ? this.missingSql(targets) : { sql: 'select null where false', bindings: [] };
    return {
      sql: `with members as (${members.sql})
            select ${cells('mb.identity', members.statusNames.map((s) => `mb.${ident(s)}`), recordCells)}
            from members mb left join (${this.recordsSql(plan)}) r on r.identity = mb.identity
            where mb.from_target or (r.identity is not null${mandatory}) order by mb.identity`,
      bindings: members.bindings,
      countSql: `select (select count(*) from (${members.sql}) mb) + (select count(*) from (${missing.sql}) x) as received, null::bigint as mandatory, 0::bigint as duplicates`,
      countBindings: [...members.bindings, ...missing.bindings],
      legacy,
    };
  }

  /**
   * An S3 file's rows for one target: its pinned identities in a stable order (a retry splits the
   * same parts), people without an identity of the kind as excluded rows, repeats of one exported
   * value (e.g. a hash two people share) as duplicates.
   */
  private targetRowsSql(plan: ExportPlan, runId: string, targetId: string): { sql: string; bindings: unknown[] } {
    const attrs = plan.attributes.map((_a, i) => `, null::text as ${ident(`a${i}`)}`).join('');
    return {
      sql: `select t.identity${attrs}, (t.identity is not null) as mandatory_ok,
                   case when t.identity is null then 1::bigint else row_number() over (partition by t.identity order by t.person_id) end as dup
            from activation_target_members t where t.run_id = ? and t.target_id = ?
            order by t.identity nulls last, t.person_id`,
      bindings: [runId, targetId],
    };
  }

  /** targetRowsSql as PostgreSQL writes it: each exported value once; the duplicates are those not written. */
  private targetExportRows(plan: ExportPlan, runId: string, targetId: string, cells: CellsSql): ExportRows {
    const keys = [runId, targetId];
    return {
      sql: `select ${cells('t.identity', [], plan.attributes.map(() => 'null::text'))}
            from (select distinct identity from activation_target_members where run_id = ? and target_id = ? and identity is not null) t
            order by t.identity`,
      bindings: keys,
      countSql: 'select count(*) as received, count(*) - count(identity) as mandatory, null::bigint as duplicates from activation_target_members where run_id = ? and target_id = ?',
      countBindings: keys,
      legacy: this.targetRowsSql(plan, runId, targetId),
    };
  }

  private async count(caller: Caller, plan: ExportPlan, pins: Pins): Promise<RunCounts> {
    const counts: RunCounts = { received: 0, activated: 0, excludedMandatory: 0, excludedDuplicates: 0, failed: 0 };
    for (const a of plan.audiences) {
      const pin = pins[a.id];
      if (!pin) continue;
      const { sql, bindings } = this.rowsSql(plan, [pin], false);
      const [r] = (
        await this.db.raw(
          `select count(*)::bigint as received,
                  count(*) filter (where not mandatory_ok)::bigint as mandatory,
                  count(*) filter (where mandatory_ok and dup > 1)::bigint as dups
           from (${sql}) q`,
          bindings as never[],
        )
      ).rows;
      counts.received += Number(r.received);
      counts.excludedMandatory += Number(r.mandatory);
      counts.excludedDuplicates += Number(r.dups);
    }
    for (const t of plan.targets) {
      const people = await this.firstParty.targets.peopleOf(this.db, caller, t.row);
      const members = this.targetMembersSql(caller.adAccountId, people, plan.identity!);
      const [r] = (
        await this.db.raw(
          `select count(*)::bigint as received,
                  count(*) filter (where identity is null)::bigint as mandatory,
                  (count(identity) - count(distinct identity))::bigint as dups
           from (${members.sql}) q`,
          members.bindings as never[],
        )
      ).rows;
      counts.received += Number(r.received);
      counts.excludedMandatory += Number(r.mandatory);
      counts.excludedDuplicates += Number(r.dups);
    }
    counts.activated = counts.received - counts.excludedMandatory - counts.excludedDuplicates;
    return counts;
  }

  private fileNames(plan: ExportPlan, at: Date, rows: number): string[] {
    const s = plan.destination.settings;
    if (plan.destination.kind === 'liveramp') {
      return [liveRampFileName({ org: String(s.org), destination: String(s.destinationName ?? plan.destination.name), instanceId: String(s.instanceId ?? plan.destination.id), at })];
    }
    const partRows = Number(s.partRows ?? this.options.partRows);
    const names: string[] = [];
    // One file (in parts) per audience and per target, in that order.
    const segments = [...plan.audiences, ...plan.targets];
    for (const a of segments) {
      const base = this.s3FileName(plan, a, at);
      const parts = Math.max(1, Math.ceil(rows / segments.length / partRows));
      for (let i = 1; i <= parts; i++) names.push(partName(base, i));
    }
    return names;
  }

  private async freeRunTime(plan: ExportPlan, at: Date): Promise<Date> {
    const writer = this.writer(plan.destination);
    try {
      let t = at;
      for (let i = 0; i < 120; i++) {
        const [first] = this.fileNames(plan, t, 1);
        if (!(await writer.exists(first))) return t;
        t = new Date(t.getTime() + 1000);
      }
      return t;
    } finally {
      await writer.close().catch(() => undefined);
    }
  }

  /** `<audienceId>` / `<audienceName>` name the segment: an audience or a first-party target. */
  private s3FileName(plan: ExportPlan, a: { id: string; name: string }, at: Date): string {
    const s = plan.destination.settings;
    const gzip = s.compression === 'gzip';
    const ext = s.format === 'jsonl' ? '.jsonl' : '.csv';
    const template = typeof s.fileNameTemplate === 'string' ? s.fileNameTemplate : `<destination>_segment<audienceId>_<yyyymmddHHMMss>${ext}`;
    const name = fileNameFromTemplate(template, { destination: plan.destination.name, audienceId: a.id, audienceName: a.name, destinationInstance: plan.destination.id, at, customText: String(s.customText ?? '') });
    return gzip && !name.endsWith('.gz') ? `${name}.gz` : name;
  }

  private async export(plan: ExportPlan, pins: Pins, at: Date, runId: string): Promise<{ counts: RunCounts; files: PublishedFile[] }> {
    const writer = this.writer(plan.destination, this.uploadJournal(runId));
    // Uploads an earlier attempt started and never ended (it was killed): abort them first.
    const left = await this.db('activation_run_uploads').where({ run_id: runId }).select('key', 'upload_id as uploadId');
    if (left.length) {
      await writer.abandon(left);
      await this.db('activation_run_uploads').where({ run_id: runId }).delete();
    }
    const counts: RunCounts = { received: 0, activated: 0, excludedMandatory: 0, excludedDuplicates: 0, failed: 0 };
    const files: PublishedFile[] = [];
    const targets = plan.targets.length ? { runId, ids: plan.targets.map((t) => t.id) } : undefined;
    try {
      if (plan.destination.kind === 'liveramp') {
        const name = this.fileNames(plan, at, 0)[0];
        validateLiveRampFileName(name);
        const segments = [...plan.audiences, ...plan.targets];
        const segmentColumns = segments.map((a) => liveRampSegmentColumn(plan.namespace.code, a.id));
        // The mapping's identity column names the identifier, as in Adobe's LiveRamp destination (plan refuses attributes).
        const columns = [plan.identityColumn, ...plan.attributes.map((a) => a.column), ...segmentColumns];
        // LiveRamp reads a line as a record whatever the quoting: no cell may hold a line break.
        const format: FileFormat = { gzip: false, delimiter: ',', quote: '"', nullOutput: '', format: 'csv', singleLine: true };
        const rows = this.exportRows(plan, plan.audiences.map((a) => pins[a.id]), true, targets, cellsSql(format));
        const toCells = (r: Record<string, unknown>) => [r.identity, ...plan.attributes.map((_a, i) => r[`a${i}`]), ...segments.map((_a, i) => r[`s${i}`] ?? '')];
        files.push(...(await this.writeFile(writer, name, columns, rows, counts, LIVERAMP_MAX_ROWS_PER_FILE, toCells, format)));
      } else {
        const s = plan.destination.settings;
        const columns = [plan.identityColumn, ...plan.attributes.map((a) => a.column)];
        const format: FileFormat = {
          gzip: s.compression === 'gzip',
          delimiter: typeof s.delimiter === 'string' ? s.delimiter : ',',
          quote: typeof s.quote === 'string' ? s.quote : '"',
          nullOutput: typeof s.nullOutput === 'string' ? s.nullOutput : '',
          format: s.format === 'jsonl' ? 'jsonl' : 'csv',
        };
        const partRows = Number(s.partRows ?? this.options.partRows);
        const toCells = (r: Record<string, unknown>) => [r.identity, ...plan.attributes.map((_x, i) => r[`a${i}`])];
        for (const a of plan.audiences) {
          const rows = this.exportRows(plan, [pins[a.id]], false, undefined, cellsSql(format));
          files.push(...(await this.writeFile(writer, this.s3FileName(plan, a, at), columns, rows, counts, partRows, toCells, format)));
        }
        for (const t of plan.targets) {
          const rows = this.targetExportRows(plan, runId, t.id, cellsSql(format));
          files.push(...(await this.writeFile(writer, this.s3FileName(plan, t, at), columns, rows, counts, partRows, toCells, format)));
        }
      }
    } finally {
      await writer.close().catch(() => undefined);
    }
    counts.activated = counts.received - counts.excludedMandatory - counts.excludedDuplicates - counts.failed;
    return { counts, files };
  }

  /**
   * Writes one file (in parts of at most `partRows` rows, each published atomically) and adds its
   * counts. PostgreSQL writes the bytes (COPY); settings COPY cannot express keep the row encoder.
   */
  private async writeFile(
    writer: DestinationWriter,
    base: string,
    columns: string[],
    rows: ExportRows,
    counts: RunCounts,
    partRows: number,
    toCells: (r: Record<string, unknown>) => unknown[],
    format: FileFormat,
  ): Promise<PublishedFile[]> {
    const literal = (v: string) => this.db.raw('?', [v]).toQuery();
    const options = format.format === 'jsonl' ? JSON_LINES_COPY_OPTIONS : csvCopyOptions(format, literal);
    if (options === null) return this.writeParts(writer, [base], columns, rows.legacy.sql, rows.legacy.bindings, counts, partRows, toCells, format);
    const header = format.format === 'jsonl' ? null : await csvHeader(columns, format);
    const copy = `copy (${this.db.raw(rows.sql, rows.bindings as never[]).toQuery()}) to stdout (${options})`;
    const count = this.db.raw(rows.countSql, rows.countBindings as never[]).toSQL().toNative();
    const { files, written, tally } = await this.copyParts(writer, base, copy, count, header, format.format === 'jsonl' ? null : format.quote, partRows, format.gzip);
    const received = Number(tally.received);
    const mandatory = tally.mandatory === null ? received - written - Number(tally.duplicates) : Number(tally.mandatory);
    const duplicates = tally.duplicates === null ? received - written - mandatory : Number(tally.duplicates);
    if (received - mandatory - duplicates !== written) throw new Error(`export of ${base}: wrote ${written} rows, but ${received} received less ${mandatory} + ${duplicates} excluded`);
    counts.received += received;
    counts.excludedMandatory += mandatory;
    counts.excludedDuplicates += duplicates;
    return files;
  }

  /**
   * Streams `COPY … TO STDOUT` bytes through gzip into parts: rows are counted in the bytes (not
   * one by one in JavaScript) and a part is cut at a row end. The file and its counts are read in
   * one snapshot. Backpressure runs from the destination back to PostgreSQL's socket.
   */
  private async copyParts(
    writer: DestinationWriter,
    base: string,
    copySql: string,
    count: { sql: string; bindings: readonly unknown[] },
    header: Buffer | null,
    quote: string | null,
    partRows: number,
    gzip: boolean,
  ): Promise<{ files: PublishedFile[]; written: number; tally: { received: string; mandatory: string | null; duplicates: string | null } }> {
    const published: PublishedFile[] = [];
    let part: { sink: DestinationPart; input: Writable; piped: Promise<void>; rows: number; index: number } | undefined;
    let index = 0;
    let written = 0;
    const open = async () => {
      index += 1;
      const name = partName(base, index);
      // Published by an earlier attempt of this run (same pins, same rows): keep it, write nothing.
      const sink = (await writer.exists(name)) ? publishedPart(name) : await writer.openPart(name);
      const input: Duplex = gzip ? createGzip() : new PassThrough();
      // Ending the part's stream does not publish it (only commit() does), so errors travel both ways.
      const piped = pipeline(input, sink.stream);
      piped.catch(() => undefined);
      if (header) input.write(header);
      return { sink, input, piped, rows: 0, index };
    };
    const close = async () => {
      if (!part) return;
      const p = part;
      p.input.end();
      await p.piped;
      published.push(await p.sink.commit(p.rows));
      part = undefined; // only now: a failed flush or commit is aborted by the catch below
    };
    const crashAfter = this.options.crashAfterRows;
    const connection = await this.db.client.acquireConnection();
    let stream: CopyToStreamQuery | undefined;
    try {
      await connection.query('begin isolation level repeatable read, read only');
      stream = connection.query(copyTo(copySql)) as CopyToStreamQuery;
      const scanner = new RowScanner(quote);
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length; ) {
          const current = part ?? (part = await open());
          if (crashAfter !== undefined && current.rows >= crashAfter) throw new Error(`injected crash after ${current.rows} rows of ${partName(base, current.index)}`);
          const { end, rows } = scanner.scan(chunk, at, Math.min(partRows, crashAfter ?? Infinity) - current.rows);
          if (!current.input.write(chunk.subarray(at, end))) await Promise.race([once(current.input, 'drain'), current.piped]);
          current.rows += rows;
          written += rows;
          at = end;
          if (current.rows >= partRows) await close();
        }
      }
      if (!part && published.length === 0) part = await open(); // an empty audience still gets its (header-only) file
      await close();
      const tally = (await connection.query(count.sql, count.bindings)).rows[0];
      await connection.query('commit');
      // The server's own count of the rows it sent (known once the COPY's completion was read).
      if (stream.rowCount !== written) throw new Error(`export of ${base}: PostgreSQL sent ${stream.rowCount} rows, ${written} were counted`);
      return { files: published, written, tally };
    } catch (err) {
      // pg may still report the dropped COPY's end to it: nobody listens any more.
      stream?.on('error', () => undefined).destroy();
      // The connection may be mid-COPY or in a failed transaction: close it, the pool makes a new one.
      (connection as { __knex__disposed?: unknown }).__knex__disposed = 'export aborted';
      connection.end().catch(() => undefined);
      if (part) await part.sink.abort().catch(() => undefined);
      throw err;
    } finally {
      this.db.client.releaseConnection(connection);
    }
  }

  /** Encodes the query's rows one by one into parts of at most `partRows` rows; each part is published atomically. */
  private async writeParts(
    writer: DestinationWriter,
    [base]: string[],
    columns: string[],
    sql: string,
    bindings: unknown[],
    counts: RunCounts,
    partRows: number,
    toCells: (r: Record<string, unknown>) => unknown[],
    format: { gzip: boolean; delimiter: string; quote?: string; nullOutput?: string; format?: 'csv' | 'jsonl'; singleLine?: boolean },
  ): Promise<PublishedFile[]> {
    const published: PublishedFile[] = [];
    const stream = this.db.raw(sql, bindings as never[]).stream() as unknown as Readable;
    let part: { sink: DestinationPart; encoder: Duplex; piped: Promise<void>; rows: number; index: number } | undefined;
    let index = 0;
    const open = async () => {
      index += 1;
      const name = partName(base, index);
      // Published by an earlier attempt of this run (same pins, same rows): keep it, write nothing.
      const sink = (await writer.exists(name)) ? publishedPart(name) : await writer.openPart(name);
      const encoder =
        format.format === 'jsonl'
          ? createJsonLinesEncoder({ gzip: format.gzip })
          : createCsvEncoder({ columns, delimiter: format.delimiter as CsvDelimiter, quote: format.quote ?? '"', nullOutput: format.nullOutput ?? '', header: true, singleLine: format.singleLine, gzip: format.gzip });
      // Ending the part's stream does not publish it (only commit() does), so errors travel both ways.
      const piped = pipeline(encoder, sink.stream);
      piped.catch(() => undefined);
      return { sink, encoder, piped, rows: 0, index };
    };
    const close = async () => {
      if (!part) return;
      const p = part;
      p.encoder.end();
      await p.piped;
      published.push(await p.sink.commit(p.rows));
      part = undefined; // only now: a failed flush or commit is aborted by the catch below
    };
    try {
      for await (const r of stream as AsyncIterable<Record<string, unknown>>) {
        counts.received += 1;
        if (!r.mandatory_ok) {
          counts.excludedMandatory += 1;
          continue;
        }
        if (Number(r.dup) > 1) {
          counts.excludedDuplicates += 1;
          continue;
        }
        const current = part ?? (part = await open());
        if (this.options.crashAfterRows !== undefined && current.rows >= this.options.crashAfterRows) {
          throw new Error(`injected crash after ${current.rows} rows of ${partName(base, current.index)}`);
        }
        if (!current.encoder.write(toCells(r))) await Promise.race([once(current.encoder, 'drain'), current.piped]);
        current.rows += 1;
        if (current.rows >= partRows) await close();
      }
      if (!part && published.length === 0) part = await open(); // an empty audience still gets its (header-only) file
      await close();
      return published;
    } catch (err) {
      (stream as Readable).destroy();
      if (part) await part.sink.abort().catch(() => undefined);
      throw err;
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  private async finish(runId: string, result: { status: 'success' | 'failed'; counts?: RunCounts; files?: PublishedFile[]; violation?: Verdict; error?: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      // A finished run is never retried: its pinned target members have served their purpose.
      await tx('activation_target_members').where({ run_id: runId }).delete();
      await tx('activation_runs')
        .where({ id: runId })
        .update({
          status: result.status,
          ...(result.counts
            ? {
                received: result.counts.received,
                activated: result.counts.activated,
                excluded_mandatory: result.counts.excludedMandatory,
                excluded_duplicates: result.counts.excludedDuplicates,
                failed: result.counts.failed,
              }
            : {}),
          ...(result.files ? { files: JSON.stringify(result.files) } : {}),
          ...(result.violation ? { violation: JSON.stringify(result.violation) } : {}),
          error: result.status === 'success' ? null : (result.error ?? null),
          finished_at: this.clock.now(),
        });
    });
  }

  /** The run's list of S3 multipart uploads in flight (activation_run_uploads). */
  private uploadJournal(runId: string): UploadJournal {
    return {
      started: async (u) => {
        await this.db('activation_run_uploads').insert({ run_id: runId, key: u.key, upload_id: u.uploadId }).onConflict(['run_id', 'upload_id']).ignore();
      },
      ended: async (u) => {
        await this.db('activation_run_uploads').where({ run_id: runId, upload_id: u.uploadId }).delete();
      },
    };
  }

  private writer(row: DestinationRow, journal?: UploadJournal): DestinationWriter {
    const credentials = this.secrets().open<Record<string, unknown>>(row.secret);
    if (this.options.writerFor) return this.options.writerFor(row.kind, row.settings, credentials);
    const s = row.settings as Record<string, never>;
    if (row.kind === 's3') {
      return createS3Destination(
        { region: s.region, endpoint: s.endpoint, bucket: s.bucket, prefix: s.prefix, accessKeyId: credentials.accessKeyId as string, secretAccessKey: credentials.secretAccessKey as string, sessionToken: credentials.sessionToken as string | undefined },
        { journal },
      );
    }
    return createSftpDestination({ host: s.host, port: s.port, username: s.username, hostKeyFingerprint: s.hostKeyFingerprint, folder: s.folder ?? 'uploads', ...(credentials as Record<string, string>) });
  }

  private async checkActions(caller: Caller, actions: string[]): Promise<void> {
    const known = new Set((await this.governance.listMarketingActions(caller)).map((a) => a.name));
    actions.forEach((a, i) => {
      if (!known.has(a)) throw ruleError(`/marketingActions/${i}`, 'exists', `Marketing action ${a} does not exist`);
    });
  }

  private toDestination(r: DestinationRow): Destination {
    const credentialsSet = this.secrets().namesIn(r.secret);
    return { id: r.id, name: r.name, kind: r.kind, settings: r.settings, credentialsSet, marketingActions: r.marketing_actions, acceptsIdentities: ACCEPTED_IDENTITIES[r.kind], createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString() };
  }

  private destinationRow(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<DestinationRow> {
    return findOwned<DestinationRow>(q, 'destinations', caller, id, 'Destination', forUpdate);
  }

  private activationRow(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<ActivationRow> {
    return findOwned<ActivationRow>(q, 'activations', caller, id, 'Activation', forUpdate);
  }

  private assertFree(q: Queryable, table: 'destinations' | 'activations', caller: Caller, name: string): Promise<void> {
    return assertNameFree(q, table, caller, name, table.slice(0, -1));
  }
}

/** A part that an earlier attempt already published: rows pass through uncounted in bytes. */
function publishedPart(name: string): DestinationPart {
  const stream = new Writable({ write: (_chunk, _enc, cb) => cb() });
  return {
    stream,
    commit: async (rows) => {
      if (!stream.writableEnded) stream.end();
      return { name, path: name, rows, bytes: 0 };
    },
    abort: async () => undefined,
  };
}

function violation(verdict: Verdict, message: string): CdpError {
  const lines = verdict.violations.flatMap((v) => v.lineage.map((l) => `${v.policy.name}: ${l.path} (label ${l.label})`));
  return new PolicyViolation(`${message}. ${lines.slice(0, 5).join('; ')}`, { violations: verdict.violations, labels: verdict.labels, marketingActions: verdict.marketingActions });
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function notFoundAt(pointer: string) {
  return (err: unknown): never => {
    if (err instanceof NotFound) throw ruleError(pointer, 'exists', `${err.message} in this ad account`);
    throw err;
  };
}

/** Marketing actions say what a destination's data is used for: governance decides them (README "Roles"). */
function checkMayGovern(caller: Caller, marketingActions: string[] | undefined): void {
  if (marketingActions === undefined || roleMay(caller.role, 'destinations.govern')) return;
  const message = `Only governance or admin may set a destination's marketing actions (destinations.govern); role ${caller.role} may send the change without marketingActions and ask governance for them`;
  throw new Forbidden(message, { errors: [{ pointer: '/marketingActions', rule: 'destinations.govern', message }] });
}

/** Prefix, folder and file-name parts go to the partner's store: no dot segments or control characters. */
function checkDestinationPaths(kind: DestinationKind, settings: Record<string, unknown>): void {
  if (kind === 'liveramp') return checkRemotePath(settings.folder, '/settings/folder', 'sftp-folder');
  checkRemotePath(settings.prefix, '/settings/prefix', 's3-prefix');
  checkRemotePath(settings.fileNameTemplate, '/settings/fileNameTemplate', 'file-name');
  checkRemotePath(settings.customText, '/settings/customText', 'file-name');
}

function checkDestination(kind: DestinationKind, settings: Record<string, unknown>, credentials: Record<string, unknown>): void {
  const allowed = kind === 's3' ? S3_SECRETS : SFTP_SECRETS;
  const unknown = Object.keys(credentials).find((k) => !allowed.includes(k));
  if (unknown) throw ruleError(`/credentials/${unknown}`, 'known-credential', `${unknown} is not a ${kind} credential; use ${allowed.join(', ')}`);
  if (kind === 's3' && (!credentials.accessKeyId || !credentials.secretAccessKey)) throw ruleError('/credentials', 'access-key', 'An S3 destination needs accessKeyId and secretAccessKey');
  if (kind === 'liveramp') {
    if (!credentials.password && !credentials.privateKey) throw ruleError('/credentials', 'password-or-key', 'A LiveRamp SFTP destination needs a password or an OpenSSH private key');
    for (const key of ['org', 'instanceId']) if (!settings[key]) throw ruleError(`/settings/${key}`, 'required', `LiveRamp file names need settings.${key} (<ORG>_<DESTINATION>_<INSTANCE_ID>_<YYYYMMDD_HHMMSS>.csv)`);
  }
}

/** The merge a dataset took part in for an audience: the other datasets of its namespace it read. */
function mergeOf(plans: readonly { datasetId: string; namespaceId: string }[], datasetId: string): LineageEntry['merge'] {
  const namespaceId = plans.find((p) => p.datasetId === datasetId)?.namespaceId;
  const datasets = plans.filter((p) => p.namespaceId === namespaceId).length;
  return namespaceId && datasets > 1 ? { namespaceId, datasets } : null;
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

function checkSchedule(s: ActivationSchedule): void {
  if (s.type === 'daily' && !/^([01]\d|2[0-3]):[0-5]\d$/.test(s.at ?? '')) throw ruleError('/schedule/at', 'time', 'A daily activation needs at: HH:MM (UTC)');
}

function firstRun(s: ActivationSchedule, now: Date): Date | null {
  if (s.type === 'once') return now;
  if (s.type === 'daily') return nextRun(s, now);
  return null;
}

function nextRun(s: ActivationSchedule, after: Date): Date | null {
  if (s.type !== 'daily' || !s.at) return null;
  const [h, m] = s.at.split(':').map(Number);
  const next = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate(), h, m));
  if (next.getTime() <= after.getTime()) next.setUTCDate(next.getUTCDate() + 1);
  return next;
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

function toActivation(r: ActivationRow) {
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
