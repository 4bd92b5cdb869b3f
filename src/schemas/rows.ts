/**
 * Stored schemas and field groups: lookups, row → DTO, and loading a schema with everything it is
 * composed of (class, field groups, identity descriptors).
 */
import type { Queryable, Tx } from '../core/db';
import { Duplicate, FieldError, NotFound } from '../core/errors';
import type { Caller } from '../core/types';
import { findClass, type XdmClass } from './classes';
import { compose, type Composition, type Properties } from './compose';
import { findStandardFieldGroup, STANDARD_FIELD_GROUPS } from './field-groups';
import { throwAll } from './checks';
import type { DescriptorRow, FieldGroup, FieldGroupRow, Loaded, SchemaContext, SchemaRow, SchemaSummary } from './types';

export const toSummary = (r: SchemaRow): SchemaSummary => ({
  id: r.id,
  title: r.title,
  description: r.description,
  classId: r.class_id,
  kind: findClass(r.class_id)?.kind ?? 'first_party',
  fieldGroupIds: [...r.field_group_ids],
  profileEnabled: r.profile_enabled,
  profileEnabledAt: r.profile_enabled_at?.toISOString() ?? null,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export const toFieldGroup = (r: FieldGroupRow): FieldGroup => ({
  id: r.id,
  title: r.title,
  description: r.description,
  standard: false,
  intendedToExtend: [...r.intended_classes],
  definition: r.definition,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export const standardGroups: FieldGroup[] = STANDARD_FIELD_GROUPS.map((g) => ({
  id: g.id,
  title: g.title,
  description: g.description,
  standard: true,
  intendedToExtend: [...g['meta:intendedToExtend']],
  definition: g.properties,
  version: 1,
  createdAt: null,
  updatedAt: null,
}));

export async function findRow(q: Queryable, caller: Caller, schemaId: string, forUpdate = false): Promise<SchemaRow> {
  const query = q<SchemaRow>('schemas').where({ id: schemaId, ad_account_id: caller.adAccountId });
  if (forUpdate) query.forUpdate();
  const row = await query.first();
  if (!row) throw new NotFound(`Schema ${schemaId} not found; GET /v1/schemas lists them`);
  return row;
}

export async function findGroup(q: Queryable, caller: Caller, id: string): Promise<FieldGroup> {
  const standard = standardGroups.find((g) => g.id === id);
  if (standard) return standard;
  const row = await q<FieldGroupRow>('field_groups').where({ id, ad_account_id: caller.adAccountId }).first();
  if (!row) throw new NotFound(`Field group ${id} not found; GET /v1/field-groups lists them`);
  return toFieldGroup(row);
}

export async function schemasUsing(q: Queryable, caller: Caller, groupId: string, forUpdate = false): Promise<SchemaRow[]> {
  const query = q<SchemaRow>('schemas').where('ad_account_id', caller.adAccountId).whereRaw('? = any(field_group_ids)', [groupId]).orderBy('id');
  if (forUpdate) query.forUpdate();
  return query;
}

/** Share-locks the custom groups a schema write composes, so their fields cannot change meanwhile. */
export async function lockGroups(tx: Tx, caller: Caller, ids: readonly string[]): Promise<void> {
  const custom = ids.filter((id) => !findStandardFieldGroup(id));
  if (custom.length) await tx('field_groups').where('ad_account_id', caller.adAccountId).whereIn('id', custom).orderBy('id').forShare().select('id');
}

/** Field groups by id, in order; unknown ids and groups not meant for the class are 422s. */
export async function resolveGroups(q: Queryable, caller: Caller, cls: XdmClass, ids: readonly string[], pointerOf: (i: number) => string): Promise<FieldGroup[]> {
  const custom = ids.filter((id) => !findStandardFieldGroup(id));
  const rows = custom.length
    ? await q<FieldGroupRow>('field_groups').where('ad_account_id', caller.adAccountId).whereIn('id', custom)
    : [];
  const byId = new Map<string, FieldGroup>([...standardGroups.map((g) => [g.id, g] as const), ...rows.map((r) => [r.id, toFieldGroup(r)] as const)]);
  const errors: FieldError[] = [];
  const groups: FieldGroup[] = [];
  ids.forEach((id, i) => {
    const g = byId.get(id);
    if (!g) {
      errors.push({ pointer: pointerOf(i), rule: 'field-group', message: `Field group ${id} does not exist in this ad account; GET /v1/field-groups lists them` });
    } else if (!g.intendedToExtend.includes(cls.id)) {
      errors.push({
        pointer: pointerOf(i),
        rule: 'intended-class',
        message: `Field group "${g.title}" (${id}) extends ${g.intendedToExtend.join(', ')}, not ${cls.id}; pick a field group meant for ${cls.title}`,
      });
    } else groups.push(g);
  });
  throwAll(errors);
  return groups;
}

export async function load(q: Queryable, caller: Caller, schemaId: string): Promise<Loaded> {
  return loadRow(q, caller, await findRow(q, caller, schemaId));
}

/** `override` replaces a custom group's fields (to try a change before saving it). */
export async function loadRow(q: Queryable, caller: Caller, row: SchemaRow, override: Record<string, Properties> = {}): Promise<Loaded> {
  const cls = findClass(row.class_id);
  if (!cls) throw new Error(`schema ${row.id} has unknown class ${row.class_id}`);
  const custom = row.field_group_ids.filter((id) => !findStandardFieldGroup(id));
  const rows = custom.length ? await q<FieldGroupRow>('field_groups').where('ad_account_id', caller.adAccountId).whereIn('id', custom) : [];
  const byId = new Map(rows.map((r) => [r.id, toFieldGroup(r)]));
  const groups: FieldGroup[] = [];
  for (const id of row.field_group_ids) {
    const g = standardGroups.find((s) => s.id === id) ?? byId.get(id);
    if (g) groups.push(override[id] ? { ...g, definition: override[id] } : g);
  }
  const descriptors = await descriptorsOf(q, caller, row.id);
  return { row, cls, groups, composition: composeSchema(cls, groups), descriptors };
}

export async function descriptorsOf(q: Queryable, caller: Caller, schemaId: string): Promise<DescriptorRow[]> {
  return q<DescriptorRow>('identity_descriptors')
    .where({ schema_id: schemaId, ad_account_id: caller.adAccountId })
    .orderBy('is_primary', 'desc')
    .orderBy('id');
}

export async function bump(ctx: SchemaContext, tx: Tx, caller: Caller, row: SchemaRow): Promise<void> {
  const [updated] = await tx<SchemaRow>('schemas').where({ id: row.id, ad_account_id: caller.adAccountId }).update({ version: row.version + 1, updated_at: new Date() }).returning('*');
  await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'schema', resourceId: row.id, before: toSummary(row), after: toSummary(updated) });
}

export async function assertSchemaTitleFree(q: Queryable, caller: Caller, title: string, exceptId?: string): Promise<void> {
  const query = q('schemas').where('ad_account_id', caller.adAccountId).whereRaw('lower(title) = lower(?)', [title]);
  if (exceptId) query.whereNot('id', exceptId);
  if (await query.first()) {
    const message = `A schema titled "${title}" already exists in this ad account; choose another title`;
    throw new Duplicate(message, { errors: [{ pointer: '/title', rule: 'unique', message }] });
  }
}

export async function assertGroupTitleFree(q: Queryable, caller: Caller, title: string, exceptId?: string): Promise<void> {
  const query = q('field_groups').where('ad_account_id', caller.adAccountId).whereRaw('lower(title) = lower(?)', [title]);
  if (exceptId) query.whereNot('id', exceptId);
  const standard = standardGroups.find((g) => g.title.toLowerCase() === title.toLowerCase());
  if (standard || (await query.first())) {
    const message = `A field group titled "${title}" already exists${standard ? ` (standard ${standard.id})` : ' in this ad account'}; choose another title`;
    throw new Duplicate(message, { errors: [{ pointer: '/title', rule: 'unique', message }] });
  }
}

export function composeSchema(cls: XdmClass, groups: readonly FieldGroup[]): Composition {
  return compose([{ id: cls.id, properties: cls.properties }, ...groups.map((g) => ({ id: g.id, properties: g.definition }))]);
}

/** Conflicts as 422 findings; source index 0 is the class, i ≥ 1 the i-th field group. */
export function conflictErrors(composition: Composition, pointerOf: (sourceIndex: number) => string): FieldError[] {
  return composition.conflicts.map((c) => ({ pointer: pointerOf(c.sourceIndex), rule: 'field-conflict', message: c.message }));
}
