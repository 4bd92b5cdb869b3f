/** Field groups of an ad account: the standard ones (field-groups.ts) read-only, custom ones created, changed and deleted here. */
import { Conflict, FieldError, NotFound, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { checkFieldDefinitions, nonAdditiveChanges } from './compose';
import { findStandardFieldGroup } from './field-groups';
import { checkDescription, checkIntendedClasses, checkTitle, definitionPointer, raceToDuplicate, throwAll } from './checks';
import { identityFieldErrors } from './identities';
import { assertGroupTitleFree, findGroup, loadRow, schemasUsing, standardGroups, toFieldGroup, toSummary } from './rows';
import type { FieldGroup, FieldGroupCreate, FieldGroupRow, FieldGroupUpdate, SchemaContext, SchemaRow } from './types';

/** Standard groups first, then the account's custom groups by title. */
export async function listFieldGroups(ctx: SchemaContext, caller: Caller, query: { classId?: string } = {}): Promise<FieldGroup[]> {
  const q = ctx.db<FieldGroupRow>('field_groups').where('ad_account_id', caller.adAccountId);
  if (query.classId) q.whereRaw('? = any(intended_classes)', [query.classId]);
  const rows = await q.orderByRaw('lower(title)').orderBy('id');
  const standard = query.classId ? standardGroups.filter((g) => g.intendedToExtend.includes(query.classId!)) : standardGroups;
  return [...standard, ...rows.map(toFieldGroup)];
}

export async function getFieldGroup(ctx: SchemaContext, caller: Caller, id: string): Promise<FieldGroup> {
  const group = await findGroup(ctx.db, caller, id);
  const users = await schemasUsing(ctx.db, caller, id);
  return { ...group, usedBy: users.map((r) => ({ id: r.id, title: r.title, profileEnabled: r.profile_enabled })) };
}

export async function createFieldGroup(ctx: SchemaContext, caller: Caller, input: FieldGroupCreate): Promise<FieldGroup> {
  const title = checkTitle(input.title);
  const description = checkDescription(input.description);
  const intended = checkIntendedClasses(input.intendedToExtend);
  const definition = checkFieldDefinitions(input.definition);
  await assertGroupTitleFree(ctx.db, caller, title);
  try {
    return await ctx.db.transaction(async (tx) => {
      const [row]: FieldGroupRow[] = await tx('field_groups')
        .insert({
          id: newId('fg'),
          ad_account_id: caller.adAccountId,
          title,
          description,
          intended_classes: intended,
          definition: JSON.stringify(definition),
        })
        .returning('*');
      const created = toFieldGroup(row);
      await ctx.audit.record(tx, caller, { action: 'create', resourceType: 'field_group', resourceId: created.id, after: created });
      return created;
    });
  } catch (err) {
    throw raceToDuplicate(err, 'field group', title);
  }
}

/**
 * Title, description, classes and fields. While a profile-enabled schema uses the group its fields
 * may only be added to. Every schema using it is re-composed and gets a new version.
 */
export async function updateFieldGroup(ctx: SchemaContext, caller: Caller, id: string, input: FieldGroupUpdate): Promise<FieldGroup> {
  if (findStandardFieldGroup(id)) {
    const field = Object.keys(input ?? {})[0] ?? '';
    throw ruleError(field ? `/${field}` : '', 'standard', `${id} is a standard field group and cannot be changed; create a custom field group instead`);
  }
  const title = input.title === undefined ? undefined : checkTitle(input.title);
  const description = input.description === undefined ? undefined : checkDescription(input.description);
  const intended = input.intendedToExtend === undefined ? undefined : checkIntendedClasses(input.intendedToExtend);
  const definition = input.definition === undefined ? undefined : checkFieldDefinitions(input.definition);
  try {
    return await ctx.db.transaction(async (tx) => {
      const row = await tx<FieldGroupRow>('field_groups').where({ id, ad_account_id: caller.adAccountId }).forUpdate().first();
      if (!row) throw new NotFound(`Field group ${id} not found; GET /v1/field-groups lists them`);
      const before = toFieldGroup(row);
      const next = {
        title: title ?? before.title,
        description: description ?? before.description,
        intendedToExtend: intended ?? before.intendedToExtend,
        definition: definition ?? before.definition,
      };
      const fieldsChanged = JSON.stringify(next.definition) !== JSON.stringify(before.definition);
      const classesChanged = JSON.stringify(next.intendedToExtend) !== JSON.stringify(before.intendedToExtend);
      if (next.title === before.title && next.description === before.description && !fieldsChanged && !classesChanged) return before;
      if (next.title.toLowerCase() !== before.title.toLowerCase()) await assertGroupTitleFree(tx, caller, next.title, id);

      const users = await schemasUsing(tx, caller, id, true);
      const errors: FieldError[] = [];
      for (const s of users) {
        if (!next.intendedToExtend.includes(s.class_id)) {
          errors.push({
            pointer: '/intendedToExtend',
            rule: 'in-use',
            message: `Schema "${s.title}" (${s.id}) uses this field group with class ${s.class_id}; keep that class or remove the group from the schema first`,
          });
        }
      }
      if (fieldsChanged) {
        if (users.some((s) => s.profile_enabled)) {
          const enabled = users.filter((s) => s.profile_enabled).map((s) => `"${s.title}"`).join(', ');
          for (const change of nonAdditiveChanges(before.definition, next.definition)) {
            errors.push({
              pointer: `/definition${definitionPointer(change.path)}`,
              rule: 'additive-only',
              message: `${change.message}, but profile-enabled schema ${enabled} uses this field group: only new fields may be added. Keep the field as it is, or create a new field group`,
            });
          }
        }
        throwAll(errors);
        for (const s of users) {
          const loaded = await loadRow(tx, caller, s, { [id]: next.definition });
          for (const c of loaded.composition.conflicts) {
            errors.push({ pointer: `/definition${definitionPointer(c.path)}`, rule: 'field-conflict', message: `${c.message} (in schema "${s.title}")` });
          }
          errors.push(...identityFieldErrors(loaded, '/definition', `field group ${id}`));
        }
      }
      throwAll(errors);

      const [updated]: FieldGroupRow[] = await tx('field_groups')
        .where({ id })
        .update({
          title: next.title,
          description: next.description,
          intended_classes: next.intendedToExtend,
          definition: JSON.stringify(next.definition),
          version: fieldsChanged || classesChanged ? row.version + 1 : row.version,
          updated_at: new Date(),
        })
        .returning('*');
      const after = toFieldGroup(updated);
      await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'field_group', resourceId: id, before, after });
      if (fieldsChanged) {
        // The composed document of every user changed: new version (and a new record validator).
        for (const s of users) {
          const [bumped] = await tx<SchemaRow>('schemas').where({ id: s.id }).update({ version: s.version + 1, updated_at: new Date() }).returning('*');
          await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'schema', resourceId: s.id, before: toSummary(s), after: toSummary(bumped) });
        }
      }
      return after;
    });
  } catch (err) {
    throw raceToDuplicate(err, 'field group', title ?? '');
  }
}

/** Refused while any schema uses the group (409). */
export async function deleteFieldGroup(ctx: SchemaContext, caller: Caller, id: string): Promise<void> {
  if (findStandardFieldGroup(id)) {
    throw ruleError('', 'standard', `${id} is a standard field group and cannot be deleted`);
  }
  await ctx.db.transaction(async (tx) => {
    const row = await tx<FieldGroupRow>('field_groups').where({ id, ad_account_id: caller.adAccountId }).forUpdate().first();
    if (!row) throw new NotFound(`Field group ${id} not found; GET /v1/field-groups lists them`);
    const users = await schemasUsing(tx, caller, id, true);
    if (users.length) {
      const names = users.map((s) => `"${s.title}" (${s.id})`).join(', ');
      const message = `Field group "${row.title}" is used by schema ${names}; remove it from ${users.length > 1 ? 'those schemas' : 'that schema'} (PATCH /v1/schemas/{id} fieldGroupIds) before deleting it`;
      throw new Conflict(message, { errors: [{ pointer: '', rule: 'in-use', message }] });
    }
    await tx('field_groups').where({ id }).delete();
    await ctx.audit.record(tx, caller, { action: 'delete', resourceType: 'field_group', resourceId: id, before: toFieldGroup(row) });
  });
}
