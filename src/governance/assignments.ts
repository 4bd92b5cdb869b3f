/**
 * Assignments live in one store (label_assignments): `schema_field` rows (target = schema id, with
 * a leaf field path) and `dataset` rows (target = dataset id, path ''). Labels are stored on leaf
 * fields only: an object path expands to its leaves when labels are added, and nothing spreads
 * upward. Dataset labels apply to every field of the dataset (callers pass both to evaluate).
 */
import type { Queryable } from '../core/db';
import { inTransaction } from '../core/db';
import type { FieldError } from '../core/errors';
import type { Caller } from '../core/types';
import type { SchemaField } from '../schemas/service';
import { requireStringArray, throwAll } from './checks';
import { unknownLabels } from './custom-labels';
import { sortLabels } from './labels';
import type { AssignmentRow, GovernanceContext, SchemaFieldLabels } from './types';

/** Rows per INSERT (7 bound values each, far below PostgreSQL's 65535 parameter limit). */
const INSERT_CHUNK = 1000;

/** Every leaf field of the schema with its labels (empty when none). */
export async function fieldLabels(ctx: GovernanceContext, caller: Caller, schemaId: string): Promise<SchemaFieldLabels> {
  const leaves = await ctx.schemas.leafFields(caller, schemaId);
  const byPath = await fieldLabelMap(ctx.db, caller, schemaId);
  return { schemaId, fields: leaves.map((f) => ({ path: f.path, labels: byPath.get(f.path) ?? [] })) };
}

/** Adds labels to fields (`"*"`: every leaf field; an object path: all its leaves). */
export async function addFieldLabels(ctx: GovernanceContext, caller: Caller, schemaId: string, input: { labels: string[]; fields: string[] | '*' }): Promise<SchemaFieldLabels> {
  return changeFieldLabels(ctx, caller, schemaId, input, 'add');
}

/** Removes labels from fields; same addressing as addFieldLabels. */
export async function removeFieldLabels(ctx: GovernanceContext, caller: Caller, schemaId: string, input: { labels: string[]; fields: string[] | '*' }): Promise<SchemaFieldLabels> {
  return changeFieldLabels(ctx, caller, schemaId, input, 'remove');
}

async function changeFieldLabels(
  ctx: GovernanceContext,
  caller: Caller,
  schemaId: string,
  input: { labels: string[]; fields: string[] | '*' },
  mode: 'add' | 'remove',
): Promise<SchemaFieldLabels> {
  const labels = requireStringArray(input.labels, '/labels', 'labels');
  if (input.fields !== '*') requireStringArray(input.fields, '/fields', 'fields ("*" or dot paths)');
  const leaves = await ctx.schemas.leafFields(caller, schemaId);
  return ctx.db.transaction(async (tx) => {
    const before = await fieldLabelMap(tx, caller, schemaId);
    // Removal may also name paths that only exist in stored labels (fields since removed).
    const extra = mode === 'remove' ? [...before.keys()] : [];
    const resolved = resolveFieldPaths(leaves, input.fields, '/fields', extra);
    const errors = [...resolved.errors, ...(await unknownLabels(tx, caller, labels, (i) => `/labels/${i}`))];
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
          .onConflict(['target_kind', 'target_id', 'field_path', 'label', 'ad_account_id'])
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
    const after = await fieldLabelMap(tx, caller, schemaId);
    const beforeImage = Object.fromEntries(before);
    const afterImage = Object.fromEntries(after);
    if (JSON.stringify(beforeImage) !== JSON.stringify(afterImage)) {
      await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'field_labels', resourceId: schemaId, before: beforeImage, after: afterImage });
    }
    return { schemaId, fields: leaves.map((f) => ({ path: f.path, labels: after.get(f.path) ?? [] })) };
  });
}

/** path → sorted labels, for the labelled fields of a schema (paths sorted). */
export async function fieldLabelMap(q: Queryable, caller: Caller, schemaId: string): Promise<Map<string, string[]>> {
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
export async function forgetSchemaLabels(q: Queryable, caller: Caller, schemaId: string): Promise<void> {
  await q('label_assignments').where({ ad_account_id: caller.adAccountId, target_kind: 'schema_field', target_id: schemaId }).delete();
}

export async function labelsOfDataset(ctx: GovernanceContext, caller: Caller, datasetId: string, q: Queryable = ctx.db): Promise<string[]> {
  return (await labelsOfDatasets(ctx, caller, [datasetId], q)).get(datasetId) ?? [];
}

/** datasetId → sorted labels, for each given dataset that has labels. */
export async function labelsOfDatasets(ctx: GovernanceContext, caller: Caller, datasetIds: readonly string[], q: Queryable = ctx.db): Promise<Map<string, string[]>> {
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
export async function setDatasetLabels(ctx: GovernanceContext, caller: Caller, datasetId: string, labels: string[], q: Queryable = ctx.db): Promise<string[]> {
  requireStringArray(labels, '/labels', 'labels', 0);
  return inTransaction(q, async (tx) => {
    throwAll(await unknownLabels(tx, caller, labels, (i) => `/labels/${i}`));
    const before = await labelsOfDataset(ctx, caller, datasetId, tx);
    const wanted = sortLabels(labels);
    const base = { ad_account_id: caller.adAccountId, target_kind: 'dataset', target_id: datasetId };
    await tx('label_assignments').where(base).whereNotIn('label', wanted.length > 0 ? wanted : ['']).delete();
    if (wanted.length > 0) {
      await tx('label_assignments')
        .insert(wanted.map((label) => ({ ...base, field_path: '', label, created_by: caller.keyId })))
        .onConflict(['target_kind', 'target_id', 'field_path', 'label', 'ad_account_id'])
        .ignore();
    }
    if (JSON.stringify(before) !== JSON.stringify(wanted)) {
      await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'dataset_labels', resourceId: datasetId, before, after: wanted });
    }
    return wanted;
  });
}

/** Removes a dataset's labels (for the datasets module when a dataset is deleted). */
export async function forgetDatasetLabels(q: Queryable, caller: Caller, datasetId: string): Promise<void> {
  await q('label_assignments').where({ ad_account_id: caller.adAccountId, target_kind: 'dataset', target_id: datasetId }).delete();
}

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
