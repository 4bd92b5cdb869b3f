/**
 * The activation module's shared types: the DTOs its API returns, its rows, and what its parts
 * (destinations, activations, plan, policy check, export SQL and files, runs) hand each other.
 *
 * Glossary: *destination* — where files go (S3, LiveRamp-style SFTP); *activation* — what goes
 * there (audiences, targets, mapping, schedule); *run* — one delivery of an activation; *plan* —
 * an activation resolved against its destination for one run or dry-run; *pins* — the evaluations
 * (and target members) a run exports, fixed on its first attempt so a retry writes the same files.
 */
import type { DestinationWriter, PublishedFile } from '../../connectors/destination-types';
import type { AudienceService, ResolvedRule } from '../audiences/service';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import type { Db } from '../core/db';
import type { JobQueue } from '../core/jobs';
import type { Logger } from '../core/log';
import type { SecretBox } from '../core/secrets';
import type { DatasetService } from '../datasets/service';
import type { GovernanceService } from '../governance/service';
import type { NamespaceService } from '../namespaces/service';
import type { NamespaceType } from '../namespaces/service';
import type { TargetKind, TargetRow, TargetService } from '../targets/service';
import type { UniverseService } from '../universe/service';
import type { FirstPartyIdentity, TargetSource } from './first-party';

export type DestinationKind = 's3' | 'liveramp';

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

/** An activation as the API returns it. */
export interface Activation {
  id: string;
  name: string;
  destinationId: string;
  audienceIds: string[];
  targetIds: string[];
  schedule: ActivationSchedule;
  mapping: ActivationMapping;
  mandatoryFields: string[];
  dedup: { fields: string[] } | null;
  enabled: boolean;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
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
  violations: { policy: { id: string; name: string; coreKey: string | null }; matched: unknown; marketingActions: string[]; labels: string[]; lineage: LineageEntry[] }[];
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

export interface DestinationRow {
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

export interface ActivationRow {
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

export interface RunRow {
  id: string;
  ad_account_id: string;
  activation_id: string;
  status: ActivationRun['status'];
  trigger: string;
  run_at: Date;
  evaluations: Pins | null;
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

/** An audience's pinned evaluation, and the one before it (LiveRamp's `expired`). */
export interface Pin {
  current: string;
  previous: string | null;
}

/** The pinned evaluation of each audience, by audience id. */
export type Pins = Record<string, Pin>;

/** What an export is made of, resolved once per run or dry-run. */
export interface ExportPlan {
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

/** What the activation service is built from (src/services.ts). */
export interface ActivationDeps {
  db: Db;
  audit: AuditService;
  audiences: AudienceService;
  datasets: DatasetService;
  governance: GovernanceService;
  namespaces: NamespaceService;
  jobs: JobQueue;
  secrets: () => SecretBox;
  clock: Clock;
  log: Logger;
}

/** A run that delivered: rows written and files published to a destination of that kind. */
export interface ExportedRun {
  destinationKind: DestinationKind;
  rows: number;
  files: number;
}

/** What the module's parts share: the service's dependencies, its options and the first-party wiring. */
export interface ActivationContext extends ActivationDeps {
  readonly options: ActivationOptions;
  /** The first-party wiring; throws until services.ts has called useFirstParty. */
  firstParty(): FirstPartyDeps;
  /** Tells the service's listeners (ActivationService.onExported) about a successful run. */
  exported(run: ExportedRun): void;
}
