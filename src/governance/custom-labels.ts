/** Data usage labels of an ad account: the core catalog (labels.ts) read-only, custom labels managed here. */
import type { Queryable, Tx } from '../core/db';
import { Conflict, Duplicate, FieldError, NotFound, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { preview, requireText } from './checks';
import { CORE_LABELS, CORE_LABELS_BY_CODE, CUSTOM_NAME_RE, type LabelDefinition } from './labels';
import type { AssignmentRow, CustomLabelRow, GovernanceContext, Label, PolicyRow } from './types';

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

/** Core labels (catalog order) then custom ones (by code). */
export async function listLabels(ctx: GovernanceContext, caller: Caller, filter: { category?: string; core?: boolean } = {}): Promise<Label[]> {
  const core = filter.core === false ? [] : CORE_LABELS.map(coreLabel);
  let custom: Label[] = [];
  if (filter.core !== true) {
    const rows = await ctx.db<CustomLabelRow>('custom_labels').where('ad_account_id', caller.adAccountId).orderBy('code');
    custom = rows.map(toCustomLabel);
  }
  const all = [...core, ...custom];
  if (filter.category === undefined) return all;
  const wanted = filter.category.toLowerCase();
  return all.filter((l) => l.category.toLowerCase() === wanted);
}

export async function getLabel(ctx: GovernanceContext, caller: Caller, code: string): Promise<Label> {
  const core = CORE_LABELS_BY_CODE.get(code);
  if (core) return coreLabel(core);
  const row = await ctx.db<CustomLabelRow>('custom_labels').where({ ad_account_id: caller.adAccountId, code }).first();
  if (!row) throw new NotFound(`Label "${code}" not found (label codes are case-sensitive; GET /v1/labels lists them)`);
  return toCustomLabel(row);
}

export async function createLabel(
  ctx: GovernanceContext,
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
  return ctx.db.transaction(async (tx) => {
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
    await ctx.audit.record(tx, caller, { action: 'create', resourceType: 'label', resourceId: label.code, after: label });
    return label;
  });
}

export async function updateLabel(ctx: GovernanceContext, caller: Caller, code: string, patch: { category?: string; friendlyName?: string; description?: string }): Promise<Label> {
  if (CORE_LABELS_BY_CODE.has(code)) {
    throw new Conflict(`Core label ${code} is read-only; create a custom label for your own meaning`);
  }
  requireText(patch.category, '/category', 'category', 100, true);
  requireText(patch.friendlyName, '/friendlyName', 'friendlyName', 200, true);
  requireText(patch.description, '/description', 'description', 2000, true);
  return ctx.db.transaction(async (tx) => {
    const before = await lockCustomLabel(tx, caller, code);
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
    await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'label', resourceId: code, before: toCustomLabel(before), after: label });
    return label;
  });
}

/** Refused (409, listing where) while the label is applied to a field or dataset or used by a policy. */
export async function deleteLabel(ctx: GovernanceContext, caller: Caller, code: string): Promise<void> {
  if (CORE_LABELS_BY_CODE.has(code)) throw new Conflict(`Core label ${code} is read-only and cannot be deleted`);
  await ctx.db.transaction(async (tx) => {
    const before = await lockCustomLabel(tx, caller, code);
    const usage = await labelUsage(tx, caller, code);
    const where: string[] = [];
    if (usage.fields.length > 0) where.push(`applied to ${usage.fields.length} schema field(s): ${preview(usage.fields.map((f) => `${f.schemaId} ${f.path}`))}`);
    if (usage.datasets.length > 0) where.push(`applied to ${usage.datasets.length} dataset(s): ${preview(usage.datasets)}`);
    if (usage.policies.length > 0) where.push(`used by ${usage.policies.length} polic${usage.policies.length > 1 ? 'ies' : 'y'}: ${preview(usage.policies.map((p) => `"${p.name}" (${p.id})`))}`);
    if (where.length > 0) {
      throw new Conflict(`Label ${code} is still in use — ${where.join('; ')}. Remove it from these first, then delete it.`, { usedBy: usage });
    }
    await tx('custom_labels').where({ id: before.id }).delete();
    await ctx.audit.record(tx, caller, { action: 'delete', resourceType: 'label', resourceId: code, before: toCustomLabel(before) });
  });
}

/** Where a label is applied or named in a deny expression. */
export async function labelUsage(
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

export async function lockCustomLabel(tx: Tx, caller: Caller, code: string): Promise<CustomLabelRow> {
  const row = await tx<CustomLabelRow>('custom_labels').where({ ad_account_id: caller.adAccountId, code }).forUpdate().first();
  if (!row) throw new NotFound(`Label "${code}" not found (label codes are case-sensitive; GET /v1/labels lists them)`);
  return row;
}

/**
 * Findings for codes that are neither core nor custom labels of the account. With a transaction,
 * the custom labels found are locked `for share` until it ends (so they cannot be deleted meanwhile).
 */
export async function unknownLabels(q: Queryable, caller: Caller, codes: readonly string[], pointerOf: (i: number) => string): Promise<FieldError[]> {
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
