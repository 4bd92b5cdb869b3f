/** The audiences module's shapes: what its API returns and takes, its rows, and a resolved rule. */
import type { DatasetService } from '../datasets/service';
import type { RuleAst, RuleField } from './rules';

export type AudienceStatus = 'draft' | 'published' | 'archived';

export interface AudienceSchedule {
  /** Daily evaluation time, `HH:MM` in UTC. */
  dailyAt: string;
}

export interface AudienceInput {
  name: string;
  description?: string;
  /** PQL-like text or a JSON condition tree. */
  rule: string | Record<string, unknown>;
  status?: AudienceStatus;
  schedule?: AudienceSchedule | null;
}

export interface EvaluationSummary {
  id: string;
  audienceId: string;
  status: 'queued' | 'running' | 'success' | 'failed';
  trigger: 'manual' | 'schedule';
  rule: string;
  counts: { members: number | null; entered: number | null; exited: number | null };
  datasets: string[];
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Audience {
  id: string;
  name: string;
  description: string;
  status: AudienceStatus;
  rule: { text: string; json: unknown };
  fields: string[];
  /** Labels of the rule's fields and of the datasets the audience reads. */
  labels: string[];
  schedule: AudienceSchedule | null;
  nextEvaluationAt: string | null;
  /** Size of the last successful evaluation. */
  size: number | null;
  lastEvaluation: EvaluationSummary | null;
  createdAt: string;
  updatedAt: string;
}

export interface AudienceRow {
  id: string;
  ad_account_id: string;
  name: string;
  description: string;
  status: AudienceStatus;
  rule_text: string;
  rule: unknown;
  schedule: AudienceSchedule | null;
  next_evaluation_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface EvaluationRow {
  id: string;
  ad_account_id: string;
  audience_id: string;
  status: EvaluationSummary['status'];
  trigger: EvaluationSummary['trigger'];
  rule_text: string;
  members: string | null;
  entered: string | null;
  exited: string | null;
  datasets: string[];
  error: string | null;
  snapshot_kept: boolean;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface RuleCatalog {
  datasets: Awaited<ReturnType<DatasetService['profileDatasets']>>;
  known: Map<string, RuleField>;
  columnsByDataset: Map<string, Map<string, string>>;
  /** dataset → field path → PostgreSQL type of its column. */
  typesByDataset: Map<string, Map<string, string>>;
  /** field path → the PostgreSQL type rules read it as (prospect datasets' first). */
  typeOf: Map<string, string>;
}

/** One dataset an audience reads. */
export interface DatasetPlan {
  datasetId: string;
  schemaId: string;
  table: string;
  namespaceId: string;
  /** The field the dataset's identity (primary, in namespaceId) is read from. */
  identityField: string;
  /** rule field path → column */
  columns: Map<string, string>;
}

/** The members of one namespace: a statement selecting `identity`. */
export interface MemberSource {
  namespaceId: string;
  sql: string;
  bindings: unknown[];
}

export interface ResolvedRule {
  ast: RuleAst;
  text: string;
  json: unknown;
  fields: string[];
  /** Every dataset the evaluation reads (labels and lineage follow them). */
  plans: DatasetPlan[];
  sources: MemberSource[];
}
