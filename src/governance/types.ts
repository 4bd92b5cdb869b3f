/** Shared types of the governance module: its DTOs, rows and the context its parts share. */
import type { AuditService } from '../audit/service';
import type { Db } from '../core/db';
import type { Caller } from '../core/types';
import type { SchemaService } from '../schemas/service';
import type { DenyExpression, PolicyStatus } from './engine';
import type { LabelDefinition } from './labels';

// ---- DTOs ----------------------------------------------------------------------------------------

export interface Label extends LabelDefinition {
  /** Core labels ship in code and are read-only. */
  core: boolean;
  createdAt?: string;
  updatedAt?: string;
}

export interface MarketingAction {
  name: string;
  displayName: string;
  description: string;
  core: boolean;
  createdAt?: string;
  updatedAt?: string;
}

export interface Policy {
  id: string;
  name: string;
  description: string;
  status: PolicyStatus;
  marketingActions: string[];
  deny: DenyExpression;
  /** Core policies: deny and marketing actions fixed, cannot be deleted. */
  core: boolean;
  coreKey: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface FieldLabels {
  path: string;
  labels: string[];
}

export interface SchemaFieldLabels {
  schemaId: string;
  fields: FieldLabels[];
}

/** Where a label came from: the request itself, a schema field or a dataset (lineage seed). */
export type LabelSource =
  | { kind: 'request' }
  | { kind: 'field'; schemaId: string; path: string }
  | { kind: 'dataset'; datasetId: string };

export interface FieldRef {
  schemaId: string;
  /** Dot paths (object paths stand for their leaves); every field of the schema when omitted. */
  paths?: string[];
}

export interface LabelGathering {
  labels?: string[];
  fields?: FieldRef[];
  datasetIds?: string[];
}

export interface EvaluationRequest extends LabelGathering {
  marketingActions: string[];
}

export interface ViolationSource {
  /** The label named by the policy. */
  label: string;
  /** Set when the source carries a label that implies `label` (e.g. C4 for C5). */
  impliedBy?: string;
  kind: LabelSource['kind'];
  schemaId?: string;
  path?: string;
  datasetId?: string;
}

export interface Violation {
  /** coreKey: which core policy this is (null for an ad account's own), so a client can word its default name. */
  policy: { id: string; name: string; status: PolicyStatus; coreKey: string | null };
  marketingActions: string[];
  matched: DenyExpression;
  labels: string[];
  sources: ViolationSource[];
}

export interface Evaluation {
  /** Labels gathered from the request, fields and datasets. */
  labels: string[];
  /** `labels` plus the labels they imply (C4 → C5, C6, C7). */
  effectiveLabels: string[];
  violations: Violation[];
}

// ---- rows ----------------------------------------------------------------------------------------

export interface CustomLabelRow {
  id: string;
  ad_account_id: string;
  code: string;
  category: string;
  friendly_name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
}

export interface MarketingActionRow {
  id: string;
  ad_account_id: string;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
}

export interface PolicyRow {
  id: string;
  ad_account_id: string;
  name: string;
  description: string;
  status: PolicyStatus;
  marketing_actions: string[];
  deny: DenyExpression;
  core_key: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface AssignmentRow {
  ad_account_id: string;
  target_kind: 'schema_field' | 'dataset';
  target_id: string;
  field_path: string;
  label: string;
}

/** What the parts of the module share: the services it uses and the hook src/services.ts wires. */
export interface GovernanceContext {
  db: Db;
  audit: AuditService;
  schemas: SchemaService;
  /** The datasets module says which dataset ids exist for a caller (it depends on us, not the reverse). */
  datasetCheck?: (caller: Caller, datasetId: string) => Promise<unknown>;
}
