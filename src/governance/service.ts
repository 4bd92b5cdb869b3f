/**
 * Data usage governance: labels (core catalog in code + custom labels), label assignments on schema
 * fields and datasets, marketing actions (core in code + custom), policies, and evaluation of a use
 * of data against the enabled policies (the engine in engine.ts does the matching).
 *
 * Assignments live in one store (label_assignments): `schema_field` rows (target = schema id, with
 * a leaf field path) and `dataset` rows (target = dataset id, path ''). Labels are stored on leaf
 * fields only: an object path expands to its leaves when labels are added, and nothing spreads
 * upward. Dataset labels apply to every field of the dataset (callers pass both to evaluate).
 *
 * Custom labels and marketing actions referenced by a write are locked `for share` in the writing
 * transaction, and deletes lock `for update` before checking usage, so nothing ends up referencing
 * a deleted label or action.
 */
import type { AuditService } from '../audit/service';
import type { Db, Queryable, Tx } from '../core/db';
import { inTransaction } from '../core/db';
import { Conflict, Duplicate, FieldError, InvalidRequest, NotFound, ruleError, UnprocessableRequest } from '../core/errors';
import { newId } from '../core/ids';
import { decodeCursor, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, toPage } from '../core/pagination';
import type { Caller, Page } from '../core/types';
import type { SchemaField, SchemaService } from '../schemas/service';
import { CORE_POLICIES } from './core-policies';
import { DenyExpression, evaluatePolicies, expandLabels, isLeaf, PolicyStatus } from './engine';
import {
  CORE_LABELS,
  CORE_LABELS_BY_CODE,
  CORE_MARKETING_ACTIONS,
  CORE_MARKETING_ACTIONS_BY_NAME,
  CUSTOM_NAME_RE,
  LabelDefinition,
} from './labels';

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
  policy: { id: string; name: string; status: PolicyStatus };
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

interface CustomLabelRow {
  id: string;
  ad_account_id: string;
  code: string;
  category: string;
  friendly_name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
}

interface MarketingActionRow {
  id: string;
  ad_account_id: string;
  name: string;
  description: string;
  created_at: Date;
  updated_at: Date;
}

interface PolicyRow {
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

interface AssignmentRow {
  ad_account_id: string;
  target_kind: 'schema_field' | 'dataset';
  target_id: string;
  field_path: string;
  label: string;
}

const toCustomLabel = (r: CustomLabelRow): Label => ({
  code: r.code,
  category: r.category,
  friendlyName: r.friendly_name,
  description: r.description,
  implies: [],
  core: false,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const coreLabel = (l: LabelDefinition): Label => ({ ...l, implies: [...l.implies], core: true });

const toCustomAction = (r: MarketingActionRow): MarketingAction => ({
  name: r.name,
  displayName: r.name,
  description: r.description,
  core: false,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toPolicy = (r: PolicyRow): Policy => ({
  id: r.id,
  name: r.name,
  description: r.description,
  status: r.status,
  marketingActions: r.marketing_actions,
  deny: canonicalDeny(r.deny),
  core: r.core_key !== null,
  coreKey: r.core_key,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** `{ label }` / `{ operator, operands }` with keys in that order (jsonb reorders keys). */
function canonicalDeny(expr: DenyExpression): DenyExpression {
  return isLeaf(expr) ? { label: expr.label } : { operator: expr.operator, operands: expr.operands.map(canonicalDeny) };
}

const CORE_LABEL_ORDER = new Map(CORE_LABELS.map((l, i) => [l.code, i]));
/** Core labels in catalog order (C1…C12, I1…), then custom ones by code. */
export function compareLabels(a: string, b: string): number {
  const ia = CORE_LABEL_ORDER.get(a) ?? Number.MAX_SAFE_INTEGER;
  const ib = CORE_LABEL_ORDER.get(b) ?? Number.MAX_SAFE_INTEGER;
  if (ia !== ib) return ia - ib;
  return a < b ? -1 : a > b ? 1 : 0;
}

const sortLabels = (labels: Iterable<string>): string[] => [...new Set(labels)].sort(compareLabels);

const MAX_DENY_DEPTH = 10;
/** Rows per INSERT (7 bound values each, far below PostgreSQL's 65535 parameter limit). */
const INSERT_CHUNK = 1000;
const LIST_IN_MESSAGE = 5;

function throwAll(errors: FieldError[], status: 400 | 422 = 422): void {
  if (errors.length === 0) return;
  const Kind = status === 400 ? InvalidRequest : UnprocessableRequest;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''}, see errors)` : '';
  throw new Kind(errors[0].message + more, { errors });
}

function preview(items: string[]): string {
  return items.slice(0, LIST_IN_MESSAGE).join(', ') + (items.length > LIST_IN_MESSAGE ? `, … (${items.length} in all)` : '');
}

function requireText(value: unknown, pointer: string, what: string, max: number, optional = false): void {
  if (value === undefined && optional) return;
  if (typeof value !== 'string' || (!optional && value.trim() === '') || value.length > max) {
    throw ruleError(pointer, 'type', `${what} must be ${optional ? 'a string' : 'a non-empty string'} of at most ${max} characters`, 400);
  }
}

function requireStringArray(value: unknown, pointer: string, what: string, minItems = 1): string[] {
  if (!Array.isArray(value) || value.length < minItems || value.some((v) => typeof v !== 'string' || v === '')) {
    throw ruleError(pointer, 'type', `${what} must be an array of ${minItems > 0 ? 'at least one ' : ''}non-empty string${minItems > 0 ? '' : 's'}`, 400);
  }
  return value as string[];
}

const STATUSES: readonly PolicyStatus[] = ['DRAFT', 'ENABLED', 'DISABLED'];

export class GovernanceService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly schemas: SchemaService,
  ) {}

  /** Gives a new ad account the core policies (see core-policies.ts for their default status). */
  private datasetCheck?: (caller: Caller, datasetId: string) => Promise<unknown>;

  /** The datasets module says which dataset ids exist for a caller (it depends on us, not the reverse). */
  useDatasetCheck(check: (caller: Caller, datasetId: string) => Promise<unknown>): void {
    this.datasetCheck = check;
  }

  async seedCore(tx: Tx, adAccountId: string): Promise<void> {
    const existing = new Set(
      (await tx<PolicyRow>('policies').where({ ad_account_id: adAccountId }).whereNotNull('core_key').select('core_key')).map((r) => r.core_key),
    );
    const rows = CORE_POLICIES.filter((p) => !existing.has(p.coreKey)).map((p) => ({
      id: newId('pol'),
      ad_account_id: adAccountId,
      name: p.name,
      description: p.description,
      status: p.status,
      marketing_actions: p.marketingActions,
      deny: JSON.stringify(p.deny),
      core_key: p.coreKey,
    }));
    if (rows.length > 0) await tx('policies').insert(rows);
  }

  // ---- labels ----------------------------------------------------------------------------------

  /** Core labels (catalog order) then custom ones (by code). */
  async listLabels(caller: Caller, filter: { category?: string; core?: boolean } = {}): Promise<Label[]> {
    const core = filter.core === false ? [] : CORE_LABELS.map(coreLabel);
    let custom: Label[] = [];
    if (filter.core !== true) {
      const rows = await this.db<CustomLabelRow>('custom_labels').where('ad_account_id', caller.adAccountId).orderBy('code');
      custom = rows.map(toCustomLabel);
    }
    const all = [...core, ...custom];
    if (filter.category === undefined) return all;
    const wanted = filter.category.toLowerCase();
    return all.filter((l) => l.category.toLowerCase() === wanted);
  }

  async getLabel(caller: Caller, code: string): Promise<Label> {
    const core = CORE_LABELS_BY_CODE.get(code);
    if (core) return coreLabel(core);
    const row = await this.db<CustomLabelRow>('custom_labels').where({ ad_account_id: caller.adAccountId, code }).first();
    if (!row) throw new NotFound(`Label "${code}" not found (label codes are case-sensitive; GET /v1/labels lists them)`);
    return toCustomLabel(row);
  }

  async createLabel(
    caller: Caller,
    input: { code: string; category?: string; friendlyName: string; description?: string },
  ): Promise<Label> {
    requireText(input.code, '/code', 'code', 64);
    if (!CUSTOM_NAME_RE.test(input.code)) {
      throw ruleError('/code', 'pattern', 'code must start with a letter and contain only letters, digits, "_" and "-" (at most 64 characters)');
    }
    requireText(input.friendlyName, '/friendlyName', 'friendlyName', 200);
    requireText(input.category, '/category', 'category', 100, true);
    requireText(input.description, '/description', 'description', 2000, true);
    if (CORE_LABELS_BY_CODE.has(input.code)) {
      throw new Duplicate(`"${input.code}" is a core label; choose another code for a custom label`, {
        errors: [{ pointer: '/code', rule: 'core-label', message: 'is a core label code' }],
      });
    }
    const similarCore = CORE_LABELS.find((l) => l.code.toLowerCase() === input.code.toLowerCase());
    if (similarCore) {
      throw ruleError('/code', 'core-label', `"${input.code}" differs from the core label ${similarCore.code} only by case; codes are case-sensitive, so choose a code that cannot be mistaken for it`);
    }
    return this.db.transaction(async (tx) => {
      const clash = await tx<CustomLabelRow>('custom_labels').where({ ad_account_id: caller.adAccountId, code: input.code }).first();
      if (clash) {
        throw new Duplicate(`Custom label "${input.code}" already exists`, {
          errors: [{ pointer: '/code', rule: 'unique', message: 'is already a custom label of this ad account' }],
        });
      }
      const [row] = await tx<CustomLabelRow>('custom_labels')
        .insert({
          id: newId('lbl'),
          ad_account_id: caller.adAccountId,
          code: input.code,
          category: input.category?.trim() || 'Custom',
          friendly_name: input.friendlyName.trim(),
          description: input.description ?? '',
        })
        .returning('*');
      const label = toCustomLabel(row);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'label', resourceId: label.code, after: label });
      return label;
    });
  }

  async updateLabel(caller: Caller, code: string, patch: { category?: string; friendlyName?: string; description?: string }): Promise<Label> {
    if (CORE_LABELS_BY_CODE.has(code)) {
      throw new Conflict(`Core label ${code} is read-only; create a custom label for your own meaning`);
    }
    requireText(patch.category, '/category', 'category', 100, true);
    requireText(patch.friendlyName, '/friendlyName', 'friendlyName', 200, true);
    requireText(patch.description, '/description', 'description', 2000, true);
    return this.db.transaction(async (tx) => {
      const before = await this.lockCustomLabel(tx, caller, code);
      const changes: Partial<CustomLabelRow> = {};
      if (patch.category !== undefined) changes.category = patch.category.trim();
      if (patch.friendlyName !== undefined) changes.friendly_name = patch.friendlyName.trim();
      if (patch.description !== undefined) changes.description = patch.description;
      if (Object.keys(changes).length === 0) return toCustomLabel(before);
      const [row] = await tx<CustomLabelRow>('custom_labels')
        .where({ id: before.id })
        .update({ ...changes, updated_at: new Date() })
        .returning('*');
      const label = toCustomLabel(row);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'label', resourceId: code, before: toCustomLabel(before), after: label });
      return label;
    });
  }

  /** Refused (409, listing where) while the label is applied to a field or dataset or used by a policy. */
  async deleteLabel(caller: Caller, code: string): Promise<void> {
    if (CORE_LABELS_BY_CODE.has(code)) throw new Conflict(`Core label ${code} is read-only and cannot be deleted`);
    await this.db.transaction(async (tx) => {
      const before = await this.lockCustomLabel(tx, caller, code);
      const usage = await this.labelUsage(tx, caller, code);
      const where: string[] = [];
      if (usage.fields.length > 0) where.push(`applied to ${usage.fields.length} schema field(s): ${preview(usage.fields.map((f) => `${f.schemaId} ${f.path}`))}`);
      if (usage.datasets.length > 0) where.push(`applied to ${usage.datasets.length} dataset(s): ${preview(usage.datasets)}`);
      if (usage.policies.length > 0) where.push(`used by ${usage.policies.length} polic${usage.policies.length > 1 ? 'ies' : 'y'}: ${preview(usage.policies.map((p) => `"${p.name}" (${p.id})`))}`);
      if (where.length > 0) {
        throw new Conflict(`Label ${code} is still in use — ${where.join('; ')}. Remove it from these first, then delete it.`, { usedBy: usage });
      }
      await tx('custom_labels').where({ id: before.id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'label', resourceId: code, before: toCustomLabel(before) });
    });
  }

  /** Where a label is applied or named in a deny expression. */
  async labelUsage(
    q: Queryable,
    caller: Caller,
    code: string,
  ): Promise<{ fields: { schemaId: string; path: string }[]; datasets: string[]; policies: { id: string; name: string }[] }> {
    const rows = await q<AssignmentRow>('label_assignments')
      .where({ ad_account_id: caller.adAccountId, label: code })
      .orderBy(['target_kind', 'target_id', 'field_path']);
    const policies = await q<PolicyRow>('policies')
      .where('ad_account_id', caller.adAccountId)
      .whereRaw('jsonb_path_exists(deny, ?::jsonpath, jsonb_build_object(\'l\', ?::text))', ['$.** ? (@.label == $l)', code])
      .orderBy('name')
      .select('id', 'name');
    return {
      fields: rows.filter((r) => r.target_kind === 'schema_field').map((r) => ({ schemaId: r.target_id, path: r.field_path })),
      datasets: [...new Set(rows.filter((r) => r.target_kind === 'dataset').map((r) => r.target_id))],
      policies: policies.map((p) => ({ id: p.id, name: p.name })),
    };
  }

  private async lockCustomLabel(tx: Tx, caller: Caller, code: string): Promise<CustomLabelRow> {
    const row = await tx<CustomLabelRow>('custom_labels').where({ ad_account_id: caller.adAccountId, code }).forUpdate().first();
    if (!row) throw new NotFound(`Label "${code}" not found (label codes are case-sensitive; GET /v1/labels lists them)`);
    return row;
  }

  /**
   * Findings for codes that are neither core nor custom labels of the account. With a transaction,
   * the custom labels found are locked `for share` until it ends (so they cannot be deleted meanwhile).
   */
  private async unknownLabels(q: Queryable, caller: Caller, codes: readonly string[], pointerOf: (i: number) => string): Promise<FieldError[]> {
    const candidates = [...new Set(codes.filter((c) => !CORE_LABELS_BY_CODE.has(c)))];
    const known = new Set<string>();
    if (candidates.length > 0) {
      const query = q<CustomLabelRow>('custom_labels').where('ad_account_id', caller.adAccountId).whereIn('code', candidates).select('code');
      if ((q as Tx).isTransaction) query.forShare();
      for (const r of await query) known.add(r.code);
    }
    const missing = candidates.filter((c) => !known.has(c));
    if (missing.length === 0) return [];
    // Suggest the intended code when only the case is wrong.
    const similar = new Map<string, string>();
    for (const l of CORE_LABELS) similar.set(l.code.toLowerCase(), l.code);
    const lowered = [...new Set(missing.map((m) => m.toLowerCase()))];
    const rows = await q<CustomLabelRow>('custom_labels')
      .where('ad_account_id', caller.adAccountId)
      .whereRaw(`lower(code) in (${lowered.map(() => '?').join(', ')})`, lowered)
      .select('code');
    for (const r of rows) if (!similar.has(r.code.toLowerCase())) similar.set(r.code.toLowerCase(), r.code);
    const errors: FieldError[] = [];
    codes.forEach((code, i) => {
      if (!missing.includes(code)) return;
      const hint = similar.get(code.toLowerCase());
      errors.push({
        pointer: pointerOf(i),
        rule: 'label',
        message: hint
          ? `Label "${code}" does not exist; label codes are case-sensitive — did you mean "${hint}"?`
          : `Label "${code}" does not exist; GET /v1/labels lists the labels, POST /v1/labels creates a custom one`,
      });
    });
    return errors;
  }

  // ---- field labels ----------------------------------------------------------------------------

  /** Every leaf field of the schema with its labels (empty when none). */
  async fieldLabels(caller: Caller, schemaId: string): Promise<SchemaFieldLabels> {
    const leaves = await this.schemas.leafFields(caller, schemaId);
    const byPath = await this.fieldLabelMap(this.db, caller, schemaId);
    return { schemaId, fields: leaves.map((f) => ({ path: f.path, labels: byPath.get(f.path) ?? [] })) };
  }

  /** Adds labels to fields (`"*"`: every leaf field; an object path: all its leaves). */
  async addFieldLabels(caller: Caller, schemaId: string, input: { labels: string[]; fields: string[] | '*' }): Promise<SchemaFieldLabels> {
    return this.changeFieldLabels(caller, schemaId, input, 'add');
  }

  /** Removes labels from fields; same addressing as addFieldLabels. */
  async removeFieldLabels(caller: Caller, schemaId: string, input: { labels: string[]; fields: string[] | '*' }): Promise<SchemaFieldLabels> {
    return this.changeFieldLabels(caller, schemaId, input, 'remove');
  }

  private async changeFieldLabels(
    caller: Caller,
    schemaId: string,
    input: { labels: string[]; fields: string[] | '*' },
    mode: 'add' | 'remove',
  ): Promise<SchemaFieldLabels> {
    const labels = requireStringArray(input.labels, '/labels', 'labels');
    if (input.fields !== '*') requireStringArray(input.fields, '/fields', 'fields ("*" or dot paths)');
    const leaves = await this.schemas.leafFields(caller, schemaId);
    return this.db.transaction(async (tx) => {
      const before = await this.fieldLabelMap(tx, caller, schemaId);
      // Removal may also name paths that only exist in stored labels (fields since removed).
      const extra = mode === 'remove' ? [...before.keys()] : [];
      const resolved = resolveFieldPaths(leaves, input.fields, '/fields', extra);
      const errors = [...resolved.errors, ...(await this.unknownLabels(tx, caller, labels, (i) => `/labels/${i}`))];
      throwAll(errors);
      const paths = [...resolved.paths];
      const codes = [...new Set(labels)];
      if (mode === 'add') {
        const rows = paths.flatMap((path) =>
          codes.map((label) => ({
            ad_account_id: caller.adAccountId,
            target_kind: 'schema_field',
            target_id: schemaId,
            field_path: path,
            label,
            created_by: caller.keyId,
          })),
        );
        for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
          await tx('label_assignments')
            .insert(rows.slice(i, i + INSERT_CHUNK))
            .onConflict(['target_kind', 'target_id', 'field_path', 'label'])
            .ignore();
        }
      } else {
        await tx('label_assignments')
          .where({ ad_account_id: caller.adAccountId, target_kind: 'schema_field', target_id: schemaId })
          .whereIn('label', codes)
          .modify((qb) => {
            if (input.fields !== '*') qb.whereIn('field_path', paths);
          })
          .delete();
      }
      const after = await this.fieldLabelMap(tx, caller, schemaId);
      const beforeImage = Object.fromEntries(before);
      const afterImage = Object.fromEntries(after);
      if (JSON.stringify(beforeImage) !== JSON.stringify(afterImage)) {
        await this.audit.record(tx, caller, { action: 'update', resourceType: 'field_labels', resourceId: schemaId, before: beforeImage, after: afterImage });
      }
      return { schemaId, fields: leaves.map((f) => ({ path: f.path, labels: after.get(f.path) ?? [] })) };
    });
  }

  /** path → sorted labels, for the labelled fields of a schema (paths sorted). */
  private async fieldLabelMap(q: Queryable, caller: Caller, schemaId: string): Promise<Map<string, string[]>> {
    const rows = await q<AssignmentRow>('label_assignments')
      .where({ ad_account_id: caller.adAccountId, target_kind: 'schema_field', target_id: schemaId })
      .orderBy('field_path');
    const map = new Map<string, string[]>();
    for (const r of rows) {
      const list = map.get(r.field_path);
      if (list) list.push(r.label);
      else map.set(r.field_path, [r.label]);
    }
    for (const [path, list] of map) map.set(path, sortLabels(list));
    return map;
  }

  /** Removes every field label of a schema (for the schemas module when a schema is deleted). */
  async forgetSchemaLabels(q: Queryable, caller: Caller, schemaId: string): Promise<void> {
    await q('label_assignments').where({ ad_account_id: caller.adAccountId, target_kind: 'schema_field', target_id: schemaId }).delete();
  }

  // ---- dataset labels (for the datasets module; it checks the dataset belongs to the caller) ------

  async labelsOfDataset(caller: Caller, datasetId: string, q: Queryable = this.db): Promise<string[]> {
    return (await this.labelsOfDatasets(caller, [datasetId], q)).get(datasetId) ?? [];
  }

  /** datasetId → sorted labels, for each given dataset that has labels. */
  async labelsOfDatasets(caller: Caller, datasetIds: readonly string[], q: Queryable = this.db): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (datasetIds.length === 0) return map;
    const rows = await q<AssignmentRow>('label_assignments')
      .where({ ad_account_id: caller.adAccountId, target_kind: 'dataset' })
      .whereIn('target_id', [...new Set(datasetIds)]);
    for (const r of rows) map.set(r.target_id, [...(map.get(r.target_id) ?? []), r.label]);
    for (const [id, list] of map) map.set(id, sortLabels(list));
    return map;
  }

  /**
   * Replaces a dataset's labels (they apply to every field of the dataset). Unknown codes → 422 at
   * `/labels/<i>`. Pass the datasets module's transaction as `q` to make it part of its change;
   * audited as resourceType `dataset_labels`.
   */
  async setDatasetLabels(caller: Caller, datasetId: string, labels: string[], q: Queryable = this.db): Promise<string[]> {
    requireStringArray(labels, '/labels', 'labels', 0);
    return inTransaction(q, async (tx) => {
      throwAll(await this.unknownLabels(tx, caller, labels, (i) => `/labels/${i}`));
      const before = await this.labelsOfDataset(caller, datasetId, tx);
      const wanted = sortLabels(labels);
      const base = { ad_account_id: caller.adAccountId, target_kind: 'dataset', target_id: datasetId };
      await tx('label_assignments').where(base).whereNotIn('label', wanted.length > 0 ? wanted : ['']).delete();
      if (wanted.length > 0) {
        await tx('label_assignments')
          .insert(wanted.map((label) => ({ ...base, field_path: '', label, created_by: caller.keyId })))
          .onConflict(['target_kind', 'target_id', 'field_path', 'label'])
          .ignore();
      }
      if (JSON.stringify(before) !== JSON.stringify(wanted)) {
        await this.audit.record(tx, caller, { action: 'update', resourceType: 'dataset_labels', resourceId: datasetId, before, after: wanted });
      }
      return wanted;
    });
  }

  /** Removes a dataset's labels (for the datasets module when a dataset is deleted). */
  async forgetDatasetLabels(q: Queryable, caller: Caller, datasetId: string): Promise<void> {
    await q('label_assignments').where({ ad_account_id: caller.adAccountId, target_kind: 'dataset', target_id: datasetId }).delete();
  }

  // ---- marketing actions -----------------------------------------------------------------------

  async listMarketingActions(caller: Caller): Promise<MarketingAction[]> {
    const rows = await this.db<MarketingActionRow>('marketing_actions').where('ad_account_id', caller.adAccountId).orderBy('name');
    return [...CORE_MARKETING_ACTIONS.map((a) => ({ ...a, core: true })), ...rows.map(toCustomAction)];
  }

  async getMarketingAction(caller: Caller, name: string): Promise<MarketingAction> {
    const core = CORE_MARKETING_ACTIONS_BY_NAME.get(name);
    if (core) return { ...core, core: true };
    const row = await this.db<MarketingActionRow>('marketing_actions').where({ ad_account_id: caller.adAccountId, name }).first();
    if (!row) throw new NotFound(`Marketing action "${name}" not found (names are case-sensitive; GET /v1/marketing-actions lists them)`);
    return toCustomAction(row);
  }

  async createMarketingAction(caller: Caller, input: { name: string; description?: string }): Promise<MarketingAction> {
    requireText(input.name, '/name', 'name', 64);
    if (!CUSTOM_NAME_RE.test(input.name)) {
      throw ruleError('/name', 'pattern', 'name must start with a letter and contain only letters, digits, "_" and "-" (at most 64 characters)');
    }
    requireText(input.description, '/description', 'description', 2000, true);
    if (CORE_MARKETING_ACTIONS_BY_NAME.has(input.name)) {
      throw new Duplicate(`"${input.name}" is a core marketing action; use it as it is or choose another name`, {
        errors: [{ pointer: '/name', rule: 'core-marketing-action', message: 'is a core marketing action' }],
      });
    }
    const similarCore = CORE_MARKETING_ACTIONS.find((a) => a.name.toLowerCase() === input.name.toLowerCase());
    if (similarCore) {
      throw ruleError('/name', 'core-marketing-action', `"${input.name}" differs from the core marketing action ${similarCore.name} only by case; names are case-sensitive, so choose one that cannot be mistaken for it`);
    }
    return this.db.transaction(async (tx) => {
      const clash = await tx<MarketingActionRow>('marketing_actions').where({ ad_account_id: caller.adAccountId, name: input.name }).first();
      if (clash) {
        throw new Duplicate(`Marketing action "${input.name}" already exists`, {
          errors: [{ pointer: '/name', rule: 'unique', message: 'is already a marketing action of this ad account' }],
        });
      }
      const [row] = await tx<MarketingActionRow>('marketing_actions')
        .insert({ id: newId('mka'), ad_account_id: caller.adAccountId, name: input.name, description: input.description ?? '' })
        .returning('*');
      const action = toCustomAction(row);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'marketing_action', resourceId: action.name, after: action });
      return action;
    });
  }

  async updateMarketingAction(caller: Caller, name: string, patch: { description?: string }): Promise<MarketingAction> {
    if (CORE_MARKETING_ACTIONS_BY_NAME.has(name)) throw new Conflict(`Core marketing action ${name} is read-only`);
    requireText(patch.description, '/description', 'description', 2000, true);
    return this.db.transaction(async (tx) => {
      const before = await this.lockMarketingAction(tx, caller, name);
      if (patch.description === undefined) return toCustomAction(before);
      const [row] = await tx<MarketingActionRow>('marketing_actions')
        .where({ id: before.id })
        .update({ description: patch.description, updated_at: new Date() })
        .returning('*');
      const action = toCustomAction(row);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'marketing_action', resourceId: name, before: toCustomAction(before), after: action });
      return action;
    });
  }

  /** Refused (409, listing them) while a policy uses the action. */
  async deleteMarketingAction(caller: Caller, name: string): Promise<void> {
    if (CORE_MARKETING_ACTIONS_BY_NAME.has(name)) throw new Conflict(`Core marketing action ${name} is read-only and cannot be deleted`);
    await this.db.transaction(async (tx) => {
      const before = await this.lockMarketingAction(tx, caller, name);
      const policies = await tx<PolicyRow>('policies')
        .where('ad_account_id', caller.adAccountId)
        .whereRaw('? = any(marketing_actions)', [name])
        .orderBy('name')
        .select('id', 'name');
      if (policies.length > 0) {
        throw new Conflict(
          `Marketing action ${name} is used by ${policies.length} polic${policies.length > 1 ? 'ies' : 'y'}: ${preview(policies.map((p) => `"${p.name}" (${p.id})`))}. Remove it from them first.`,
          { usedBy: { policies: policies.map((p) => ({ id: p.id, name: p.name })) } },
        );
      }
      await tx('marketing_actions').where({ id: before.id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'marketing_action', resourceId: name, before: toCustomAction(before) });
    });
  }

  private async lockMarketingAction(tx: Tx, caller: Caller, name: string): Promise<MarketingActionRow> {
    const row = await tx<MarketingActionRow>('marketing_actions').where({ ad_account_id: caller.adAccountId, name }).forUpdate().first();
    if (!row) throw new NotFound(`Marketing action "${name}" not found (names are case-sensitive; GET /v1/marketing-actions lists them)`);
    return row;
  }

  /** Findings for names that are neither core nor custom marketing actions (custom ones locked in a tx). */
  private async unknownMarketingActions(q: Queryable, caller: Caller, names: readonly string[], pointerOf: (i: number) => string): Promise<FieldError[]> {
    const candidates = [...new Set(names.filter((n) => !CORE_MARKETING_ACTIONS_BY_NAME.has(n)))];
    const known = new Set<string>();
    if (candidates.length > 0) {
      const query = q<MarketingActionRow>('marketing_actions').where('ad_account_id', caller.adAccountId).whereIn('name', candidates).select('name');
      if ((q as Tx).isTransaction) query.forShare();
      for (const r of await query) known.add(r.name);
    }
    const errors: FieldError[] = [];
    names.forEach((name, i) => {
      if (CORE_MARKETING_ACTIONS_BY_NAME.has(name) || known.has(name)) return;
      const hint = CORE_MARKETING_ACTIONS.find((a) => a.name.toLowerCase() === name.toLowerCase());
      errors.push({
        pointer: pointerOf(i),
        rule: 'marketing-action',
        message: hint
          ? `Marketing action "${name}" does not exist; names are case-sensitive — did you mean "${hint.name}"?`
          : `Marketing action "${name}" does not exist; GET /v1/marketing-actions lists them, POST /v1/marketing-actions creates a custom one`,
      });
    });
    return errors;
  }

  // ---- policies --------------------------------------------------------------------------------

  async listPolicies(
    caller: Caller,
    query: { status?: PolicyStatus; marketingAction?: string; label?: string; core?: boolean; limit?: number; cursor?: string } = {},
  ): Promise<Page<Policy>> {
    const limit = Math.min(query.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const cursor = decodeCursor(query.cursor);
    const q = this.db<PolicyRow>('policies').where('ad_account_id', caller.adAccountId);
    if (query.status) q.where('status', query.status);
    if (query.marketingAction) q.whereRaw('? = any(marketing_actions)', [query.marketingAction]);
    if (query.label) q.whereRaw('jsonb_path_exists(deny, ?::jsonpath, jsonb_build_object(\'l\', ?::text))', ['$.** ? (@.label == $l)', query.label]);
    if (query.core === true) q.whereNotNull('core_key');
    if (query.core === false) q.whereNull('core_key');
    if (cursor) q.where('id', '>', cursor);
    const rows = await q.orderBy('id').limit(limit + 1);
    const page = toPage(rows, limit, (r) => r.id);
    return { items: page.items.map(toPolicy), nextCursor: page.nextCursor };
  }

  async getPolicy(caller: Caller, id: string): Promise<Policy> {
    const row = await this.db<PolicyRow>('policies').where({ ad_account_id: caller.adAccountId, id }).first();
    if (!row) throw new NotFound(`Policy ${id} not found`);
    return toPolicy(row);
  }

  async createPolicy(
    caller: Caller,
    input: { name: string; description?: string; status?: PolicyStatus; marketingActions: string[]; deny: DenyExpression },
  ): Promise<Policy> {
    requireText(input.name, '/name', 'name', 200);
    requireText(input.description, '/description', 'description', 2000, true);
    const status = input.status ?? 'DRAFT';
    if (!STATUSES.includes(status)) throw ruleError('/status', 'enum', `status must be one of ${STATUSES.join(', ')}`, 400);
    const actions = requireStringArray(input.marketingActions, '/marketingActions', 'marketingActions');
    return this.db.transaction(async (tx) => {
      await this.checkPolicyReferences(tx, caller, actions, input.deny);
      await this.checkPolicyName(tx, caller, input.name.trim());
      const [row] = await tx<PolicyRow>('policies')
        .insert({
          id: newId('pol'),
          ad_account_id: caller.adAccountId,
          name: input.name.trim(),
          description: input.description ?? '',
          status,
          marketing_actions: [...new Set(actions)],
          deny: JSON.stringify(canonicalDeny(input.deny)) as unknown as DenyExpression,
          core_key: null,
        })
        .returning('*');
      const policy = toPolicy(row);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'policy', resourceId: policy.id, after: policy });
      return policy;
    });
  }

  /**
   * Changes name, description, status, marketing actions or deny. Core policies: status, name and
   * description only (409 for a different deny or marketing actions).
   */
  async updatePolicy(
    caller: Caller,
    id: string,
    patch: { name?: string; description?: string; status?: PolicyStatus; marketingActions?: string[]; deny?: DenyExpression },
  ): Promise<Policy> {
    requireText(patch.name, '/name', 'name', 200, true);
    if (patch.name !== undefined && patch.name.trim() === '') throw ruleError('/name', 'type', 'name must not be blank', 400);
    requireText(patch.description, '/description', 'description', 2000, true);
    if (patch.status !== undefined && !STATUSES.includes(patch.status)) {
      throw ruleError('/status', 'enum', `status must be one of ${STATUSES.join(', ')}`, 400);
    }
    if (patch.marketingActions !== undefined) requireStringArray(patch.marketingActions, '/marketingActions', 'marketingActions');
    return this.db.transaction(async (tx) => {
      const row = await tx<PolicyRow>('policies').where({ ad_account_id: caller.adAccountId, id }).forUpdate().first();
      if (!row) throw new NotFound(`Policy ${id} not found`);
      const before = toPolicy(row);
      const actionsChange = patch.marketingActions !== undefined && !sameSet(patch.marketingActions, before.marketingActions);
      const denyChange = patch.deny !== undefined && !sameDeny(patch.deny, before.deny);
      if (before.core && (actionsChange || denyChange)) {
        const errors: FieldError[] = [];
        if (actionsChange) errors.push({ pointer: '/marketingActions', rule: 'core-policy', message: 'cannot change on a core policy' });
        if (denyChange) errors.push({ pointer: '/deny', rule: 'core-policy', message: 'cannot change on a core policy' });
        throw new Conflict(
          `"${before.name}" is a core policy: only its status, name and description can change. Create your own policy for other rules.`,
          { errors },
        );
      }
      if (actionsChange || denyChange) {
        await this.checkPolicyReferences(tx, caller, patch.marketingActions ?? before.marketingActions, patch.deny ?? before.deny, {
          actions: actionsChange,
          deny: denyChange,
        });
      }
      const changes: Record<string, unknown> = {};
      if (patch.name !== undefined && patch.name.trim() !== before.name) {
        await this.checkPolicyName(tx, caller, patch.name.trim(), id);
        changes.name = patch.name.trim();
      }
      if (patch.description !== undefined && patch.description !== before.description) changes.description = patch.description;
      if (patch.status !== undefined && patch.status !== before.status) changes.status = patch.status;
      if (actionsChange) changes.marketing_actions = [...new Set(patch.marketingActions)];
      if (denyChange) changes.deny = JSON.stringify(canonicalDeny(patch.deny!));
      if (Object.keys(changes).length === 0) return before;
      const [updated] = await tx<PolicyRow>('policies')
        .where({ id })
        .update({ ...changes, updated_at: new Date() })
        .returning('*');
      const after = toPolicy(updated);
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'policy', resourceId: id, before, after });
      return after;
    });
  }

  async deletePolicy(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await tx<PolicyRow>('policies').where({ ad_account_id: caller.adAccountId, id }).forUpdate().first();
      if (!row) throw new NotFound(`Policy ${id} not found`);
      if (row.core_key) throw new Conflict(`"${row.name}" is a core policy and cannot be deleted; disable it instead (PATCH {"status":"DISABLED"})`);
      await tx('policies').where({ id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'policy', resourceId: id, before: toPolicy(row) });
    });
  }

  private async checkPolicyName(tx: Tx, caller: Caller, name: string, exceptId?: string): Promise<void> {
    const q = tx<PolicyRow>('policies').where('ad_account_id', caller.adAccountId).whereRaw('lower(name) = lower(?)', [name]);
    if (exceptId) q.whereNot('id', exceptId);
    if (await q.first()) {
      throw new Duplicate(`A policy named "${name}" already exists`, {
        errors: [{ pointer: '/name', rule: 'unique', message: 'is already the name of a policy of this ad account (case-insensitive)' }],
      });
    }
  }

  /** Shape (400), depth and known labels/actions (422) of a policy's references, with pointers. */
  private async checkPolicyReferences(
    tx: Tx,
    caller: Caller,
    actions: string[],
    deny: unknown,
    which: { actions: boolean; deny: boolean } = { actions: true, deny: true },
  ): Promise<void> {
    const errors: FieldError[] = [];
    if (which.deny) {
      const leaves: { label: string; pointer: string }[] = [];
      const shape: FieldError[] = [];
      walkDeny(deny, '/deny', 1, leaves, shape);
      throwAll(shape.filter((e) => e.rule !== 'maxDepth'), 400);
      errors.push(...shape);
      errors.push(...(await this.unknownLabels(tx, caller, leaves.map((l) => l.label), (i) => leaves[i].pointer)));
    }
    if (which.actions) errors.push(...(await this.unknownMarketingActions(tx, caller, actions, (i) => `/marketingActions/${i}`)));
    throwAll(errors);
  }

  // ---- evaluation ------------------------------------------------------------------------------

  /**
   * Labels of the request, schema fields and datasets, each with where it came from. Unknown labels
   * (`/labels/<i>`) and field paths (`/fields/<i>/paths/<j>`) are reported as 422 findings.
   */
  async gatherLabels(caller: Caller, input: LabelGathering): Promise<Map<string, LabelSource[]>> {
    const { sources, errors } = await this.collect(caller, input);
    throwAll(errors);
    return sources;
  }

  /**
   * Which enabled policies would this use of data violate? Used by POST /v1/policies/evaluate and by
   * activation (which passes the fields it exports and the datasets they come from).
   */
  async evaluate(caller: Caller, input: EvaluationRequest): Promise<Evaluation> {
    const actions = requireStringArray(input.marketingActions, '/marketingActions', 'marketingActions');
    if (input.labels === undefined && input.fields === undefined && input.datasetIds === undefined) {
      throw ruleError('/labels', 'required', 'Send labels, fields (or both) to evaluate', 400);
    }
    const errors = await this.unknownMarketingActions(this.db, caller, actions, (i) => `/marketingActions/${i}`);
    const collected = await this.collect(caller, input);
    throwAll([...errors, ...collected.errors]);
    const sources = collected.sources;
    const policies = (
      await this.db<PolicyRow>('policies').where({ ad_account_id: caller.adAccountId, status: 'ENABLED' }).orderBy('name')
    ).map(toPolicy);
    const found = evaluatePolicies(policies, actions, sources.keys());
    const violations = found.map((v): Violation => {
      const lineage: ViolationSource[] = [];
      for (const label of v.labels) {
        const origins = v.impliedBy[label];
        if (!origins) {
          for (const s of sources.get(label) ?? []) lineage.push({ label, ...s });
        } else {
          for (const origin of origins) for (const s of sources.get(origin) ?? []) lineage.push({ label, impliedBy: origin, ...s });
        }
      }
      return {
        policy: { id: v.policy.id, name: v.policy.name, status: v.policy.status },
        marketingActions: v.marketingActions,
        matched: v.matched,
        labels: sortLabels(v.labels),
        sources: lineage,
      };
    });
    return { labels: sortLabels(sources.keys()), effectiveLabels: sortLabels(expandLabels(sources.keys()).keys()), violations };
  }

  private async collect(caller: Caller, input: LabelGathering): Promise<{ sources: Map<string, LabelSource[]>; errors: FieldError[] }> {
    const sources = new Map<string, LabelSource[]>();
    const add = (label: string, source: LabelSource) => {
      const list = sources.get(label);
      if (list) list.push(source);
      else sources.set(label, [source]);
    };
    const errors: FieldError[] = [];
    if (input.labels !== undefined) {
      const labels = requireStringArray(input.labels, '/labels', 'labels', 0);
      errors.push(...(await this.unknownLabels(this.db, caller, labels, (i) => `/labels/${i}`)));
      for (const l of new Set(labels)) add(l, { kind: 'request' });
    }
    if (input.fields !== undefined) {
      if (!Array.isArray(input.fields)) throw ruleError('/fields', 'type', 'fields must be an array of { schemaId, paths? }', 400);
      for (const [i, ref] of input.fields.entries()) {
        if (!ref || typeof ref.schemaId !== 'string') throw ruleError(`/fields/${i}/schemaId`, 'required', 'schemaId is required', 400);
        if (ref.paths !== undefined) requireStringArray(ref.paths, `/fields/${i}/paths`, 'paths', 0);
        const leaves = await this.schemas.leafFields(caller, ref.schemaId);
        const resolved = resolveFieldPaths(leaves, ref.paths ?? '*', `/fields/${i}/paths`);
        errors.push(...resolved.errors);
        const byPath = await this.fieldLabelMap(this.db, caller, ref.schemaId);
        for (const path of [...resolved.paths].sort()) {
          for (const label of byPath.get(path) ?? []) add(label, { kind: 'field', schemaId: ref.schemaId, path });
        }
      }
    }
    if (input.datasetIds !== undefined) {
      const ids = requireStringArray(input.datasetIds, '/datasetIds', 'datasetIds', 0);
      // Unknown (or another account's) datasets answer 404 rather than silently carrying no labels.
      if (this.datasetCheck) for (const id of new Set(ids)) await this.datasetCheck(caller, id);
      const byDataset = await this.labelsOfDatasets(caller, ids);
      for (const id of new Set(ids)) for (const label of byDataset.get(id) ?? []) add(label, { kind: 'dataset', datasetId: id });
    }
    return { sources, errors };
  }
}

// ---- helpers -------------------------------------------------------------------------------------

/**
 * The leaf paths that field references stand for: `"*"` → every leaf; a leaf path → itself; an
 * object path → all leaves under it. `extra` paths (stored but no longer in the schema) also count.
 */
export function resolveFieldPaths(
  leaves: readonly SchemaField[],
  fields: readonly string[] | '*',
  pointer: string,
  extra: readonly string[] = [],
): { paths: Set<string>; errors: FieldError[] } {
  const all = [...new Set([...leaves.map((l) => l.path), ...extra])];
  if (fields === '*') return { paths: new Set(leaves.map((l) => l.path)), errors: [] };
  const paths = new Set<string>();
  const errors: FieldError[] = [];
  fields.forEach((field, i) => {
    const prefix = `${field}.`;
    const hits = all.filter((p) => p === field || p.startsWith(prefix));
    if (hits.length === 0) {
      errors.push({
        pointer: `${pointer}/${i}`,
        rule: 'field',
        message: `Field "${field}" is not in the schema; name a leaf or object field by its dot path (GET /v1/schemas/{id}/labels lists them) or use "*" for all fields`,
      });
    }
    for (const h of hits) paths.add(h);
  });
  return { paths, errors };
}

/** Checks a deny expression's shape (it may come from the CLI) and collects its leaves with pointers. */
function walkDeny(expr: unknown, pointer: string, depth: number, leaves: { label: string; pointer: string }[], errors: FieldError[]): void {
  if (!expr || typeof expr !== 'object' || Array.isArray(expr)) {
    errors.push({ pointer, rule: 'type', message: 'must be { "label": … } or { "operator": "AND"|"OR", "operands": [ … ] }' });
    return;
  }
  const node = expr as Record<string, unknown>;
  if ('label' in node && !('operator' in node) && !('operands' in node)) {
    if (typeof node.label !== 'string' || node.label === '') errors.push({ pointer: `${pointer}/label`, rule: 'type', message: 'must be a label code' });
    else leaves.push({ label: node.label, pointer: `${pointer}/label` });
    return;
  }
  if (node.operator !== 'AND' && node.operator !== 'OR') {
    errors.push({ pointer: `${pointer}/operator`, rule: 'enum', message: 'must be "AND" or "OR"' });
  }
  if (!Array.isArray(node.operands) || node.operands.length === 0) {
    errors.push({ pointer: `${pointer}/operands`, rule: 'minItems', message: 'must be a non-empty array of deny expressions' });
    return;
  }
  if (depth >= MAX_DENY_DEPTH) {
    errors.push({ pointer, rule: 'maxDepth', message: `deny expressions may nest at most ${MAX_DENY_DEPTH} levels; simplify the expression` });
    return;
  }
  node.operands.forEach((op, i) => walkDeny(op, `${pointer}/operands/${i}`, depth + 1, leaves, errors));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

function sameDeny(a: DenyExpression, b: DenyExpression): boolean {
  try {
    return JSON.stringify(canonicalDeny(a)) === JSON.stringify(canonicalDeny(b));
  } catch {
    return false;
  }
}
