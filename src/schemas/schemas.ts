/** Schemas: created, read (composed from class, field groups and descriptors), changed and deleted. */
import { Conflict, FieldError, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { escapePointer } from '../core/validation';
import { findClass, XDM_CLASSES } from './classes';
import { JSON_SCHEMA_DIALECT, listLeaves, recordSchema, schemaUri } from './compose';
import { checkDescription, checkIdentityShape, checkIdList, checkTitle, MAX_FIELD_GROUPS_PER_SCHEMA, MAX_IDENTITIES, raceToDuplicate, throwAll } from './checks';
import { checkIdentities, describeDescriptors, identityFieldErrors, toDescriptor } from './identities';
import { assertEnableable, oneWayMessage } from './profile';
import { assertSchemaTitleFree, composeSchema, conflictErrors, findRow, load, loadRow, lockGroups, resolveGroups, toSummary } from './rows';
import type { DescriptorRow, IdentityDescriptor, Loaded, SchemaContext, SchemaCreate, SchemaDocument, SchemaField, SchemaRow, SchemaSummary, SchemaUpdate } from './types';
import { schemaHash, type RecordValidator } from './validator';

export async function listSchemas(ctx: SchemaContext, caller: Caller, query: { classId?: string } = {}): Promise<SchemaSummary[]> {
  const q = ctx.db<SchemaRow>('schemas').where('ad_account_id', caller.adAccountId);
  if (query.classId) q.where('class_id', query.classId);
  const rows = await q.orderByRaw('lower(title)').orderBy('id');
  return rows.map(toSummary);
}

/** Class, kind, field groups, profile flag and version: what datasets and ingestion need to know. */
export async function getSummary(ctx: SchemaContext, caller: Caller, schemaId: string): Promise<SchemaSummary> {
  return toSummary(await findRow(ctx.db, caller, schemaId));
}

/**
 * The composed document: `allOf` of `$ref`s into `$defs` (class and field groups), or with
 * `full` the merged `properties` tree.
 */
export async function getSchema(ctx: SchemaContext, caller: Caller, schemaId: string, opts: { full?: boolean } = {}): Promise<SchemaDocument> {
  const loaded = await load(ctx.db, caller, schemaId);
  return document(ctx, caller, loaded, opts.full === true);
}

export async function createSchema(ctx: SchemaContext, caller: Caller, input: SchemaCreate): Promise<SchemaDocument> {
  const title = checkTitle(input.title);
  const description = checkDescription(input.description);
  if (typeof input.classId !== 'string') throw ruleError('/classId', 'required', 'classId is required (GET /v1/classes lists them)', 400);
  const cls = findClass(input.classId);
  if (!cls) {
    throw ruleError('/classId', 'class', `Class ${input.classId} does not exist; use ${XDM_CLASSES.map((c) => c.id).join(' or ')}`);
  }
  const groupIds = input.fieldGroupIds === undefined ? [] : checkIdList(input.fieldGroupIds, '/fieldGroupIds', 'fieldGroupIds', 0, MAX_FIELD_GROUPS_PER_SCHEMA);
  const identities = input.identities ?? [];
  if (!Array.isArray(identities) || identities.length > MAX_IDENTITIES) {
    throw ruleError('/identities', 'type', `identities must be an array of at most ${MAX_IDENTITIES} { fieldPath, namespace, primary }`, 400);
  }
  identities.forEach((idn, i) => checkIdentityShape(idn, `/identities/${i}`));

  await assertSchemaTitleFree(ctx.db, caller, title);

  const id = newId('sch');
  try {
    await ctx.db.transaction(async (tx) => {
      await lockGroups(tx, caller, groupIds);
      const groups = await resolveGroups(tx, caller, cls, groupIds, (i) => `/fieldGroupIds/${i}`);
      const composition = composeSchema(cls, groups);
      throwAll(conflictErrors(composition, (i) => `/fieldGroupIds/${i - 1}`));
      const resolved = await checkIdentities(ctx, caller, cls, composition, [], identities, (i) => `/identities/${i}`, false);
      const [row] = await tx<SchemaRow>('schemas')
        .insert({ id, ad_account_id: caller.adAccountId, title, description, class_id: cls.id, field_group_ids: groupIds })
        .returning('*');
      const descriptors: IdentityDescriptor[] = [];
      for (const r of resolved) {
        const [d] = await tx<DescriptorRow>('identity_descriptors')
          .insert({ id: newId('idd'), ad_account_id: caller.adAccountId, schema_id: id, field_path: r.fieldPath, namespace_id: r.namespace.id, is_primary: r.primary })
          .returning('*');
        descriptors.push(toDescriptor(d, id, r.namespace));
      }
      await ctx.audit.record(tx, caller, { action: 'create', resourceType: 'schema', resourceId: id, after: { ...toSummary(row), identities: descriptors } });
      for (const d of descriptors) {
        await ctx.audit.record(tx, caller, { action: 'create', resourceType: 'identity_descriptor', resourceId: d.id, after: d });
      }
    });
  } catch (err) {
    throw raceToDuplicate(err, 'schema', title);
  }
  return getSchema(ctx, caller, id);
}

/**
 * Title, description, field groups; `profileEnabled: true` enables for profile. After enabling,
 * only additive changes: field groups may be added, never removed.
 */
export async function updateSchema(ctx: SchemaContext, caller: Caller, schemaId: string, input: SchemaUpdate): Promise<SchemaDocument> {
  const title = input.title === undefined ? undefined : checkTitle(input.title);
  const description = input.description === undefined ? undefined : checkDescription(input.description);
  const groupIds = input.fieldGroupIds === undefined ? undefined : checkIdList(input.fieldGroupIds, '/fieldGroupIds', 'fieldGroupIds', 0, MAX_FIELD_GROUPS_PER_SCHEMA);
  if (input.profileEnabled !== undefined && typeof input.profileEnabled !== 'boolean') {
    throw ruleError('/profileEnabled', 'type', 'profileEnabled must be a boolean', 400);
  }
  try {
    await ctx.db.transaction(async (tx) => {
      await lockGroups(tx, caller, groupIds ?? []);
      const row = await findRow(tx, caller, schemaId, true);
      const cls = findClass(row.class_id)!;
      const errors: FieldError[] = [];
      if (input.classId !== undefined && input.classId !== row.class_id) {
        errors.push({ pointer: '/classId', rule: 'immutable', message: `The class of a schema cannot change (it is ${row.class_id}); create a new schema with class ${input.classId}` });
      }
      if (input.profileEnabled === false && row.profile_enabled) {
        errors.push({ pointer: '/profileEnabled', rule: 'one-way', message: oneWayMessage(row) });
      }
      if (groupIds && row.profile_enabled) {
        const removed = row.field_group_ids.filter((g) => !groupIds.includes(g));
        if (removed.length) {
          errors.push({
            pointer: '/fieldGroupIds',
            rule: 'additive-only',
            message: `Schema "${row.title}" is enabled for profile, so field groups can only be added; ${removed.join(', ')} would be removed. Keep ${removed.length > 1 ? 'them' : 'it'} in fieldGroupIds`,
          });
        }
      }
      throwAll(errors);

      let loaded = await loadRow(tx, caller, row);
      const groupsChanged = groupIds !== undefined && JSON.stringify(groupIds) !== JSON.stringify(row.field_group_ids);
      if (groupsChanged) {
        const groups = await resolveGroups(tx, caller, cls, groupIds!, (i) => `/fieldGroupIds/${i}`);
        const composition = composeSchema(cls, groups);
        throwAll(conflictErrors(composition, (i) => `/fieldGroupIds/${i - 1}`));
        loaded = { ...loaded, groups, composition };
        throwAll(identityFieldErrors(loaded, '/fieldGroupIds', 'the new field groups'));
      }
      const next = {
        title: title ?? row.title,
        description: description ?? row.description,
        field_group_ids: groupIds ?? row.field_group_ids,
      };
      const enabling = input.profileEnabled === true && !row.profile_enabled;
      if (enabling) assertEnableable(loaded);
      if (next.title === row.title && next.description === row.description && !groupsChanged && !enabling) return;
      if (next.title.toLowerCase() !== row.title.toLowerCase()) await assertSchemaTitleFree(tx, caller, next.title, row.id);
      const now = new Date();
      const [updated] = await tx<SchemaRow>('schemas')
        .where({ id: row.id })
        .update({
          ...next,
          ...(enabling ? { profile_enabled: true, profile_enabled_at: now } : {}),
          version: row.version + 1,
          updated_at: now,
        })
        .returning('*');
      await ctx.audit.record(tx, caller, { action: 'update', resourceType: 'schema', resourceId: row.id, before: toSummary(row), after: toSummary(updated) });
    });
  } catch (err) {
    throw raceToDuplicate(err, 'schema', title ?? '');
  }
  return getSchema(ctx, caller, schemaId);
}

/** Refused once enabled for profile: datasets, records and audiences depend on it. */
export async function deleteSchema(ctx: SchemaContext, caller: Caller, schemaId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const row = await findRow(tx, caller, schemaId, true);
    if (row.profile_enabled) {
      const message =
        `Schema "${row.title}" is enabled for profile and cannot be deleted: datasets, ingested profiles and audiences depend on it, ` +
        'and enabling is one-way. Stop using it (or create a new schema) instead';
      throw new Conflict(message, { errors: [{ pointer: '', rule: 'profile-enabled', message }] });
    }
    for (const hook of ctx.deleteHooks) await hook(tx, caller, row.id);
    const descriptors = await tx<DescriptorRow>('identity_descriptors').where({ schema_id: row.id, ad_account_id: caller.adAccountId });
    await tx('schemas').where({ id: row.id }).delete(); // descriptors go with it (on delete cascade)
    await ctx.audit.record(tx, caller, {
      action: 'delete',
      resourceType: 'schema',
      resourceId: row.id,
      before: { ...toSummary(row), identities: descriptors.map((d) => ({ id: d.id, fieldPath: d.field_path, namespaceId: d.namespace_id, isPrimary: d.is_primary })) },
    });
  });
  ctx.validators.forget(schemaId);
}

/** Every leaf field of the composed schema with its dot path, type, source and identity. */
export async function leafFields(ctx: SchemaContext, caller: Caller, schemaId: string): Promise<SchemaField[]> {
  const loaded = await load(ctx.db, caller, schemaId);
  const descriptors = await describeDescriptors(ctx, caller, loaded.row.id, loaded.descriptors);
  const byPath = new Map(descriptors.map((d) => [d.fieldPath, d]));
  return listLeaves(loaded.composition.properties, loaded.composition.sources).map((leaf) => {
    const d = byPath.get(leaf.path);
    return d ? { ...leaf, identity: { namespace: d.namespace, namespaceId: d.namespaceId, namespaceType: d.namespaceType, primary: d.isPrimary } } : leaf;
  });
}

/**
 * An ajv validate function for records of the schema as it is now: unknown fields rejected,
 * types, formats and XDM integer ranges enforced. Compiled once per schema version and cached;
 * call it once per batch and reuse the function for every row (recordErrors() explains a failure).
 */
export async function validator(ctx: SchemaContext, caller: Caller, schemaId: string): Promise<RecordValidator> {
  const loaded = await load(ctx.db, caller, schemaId);
  const schema = recordSchema(loaded.composition.properties);
  return ctx.validators.get({ schemaId: loaded.row.id, version: loaded.row.version, hash: schemaHash(schema) }, () => schema);
}

async function document(ctx: SchemaContext, caller: Caller, loaded: Loaded, full: boolean): Promise<SchemaDocument> {
  const { row, cls, groups, composition } = loaded;
  const descriptors = await describeDescriptors(ctx, caller, row.id, loaded.descriptors);
  const head: SchemaDocument = {
    $schema: JSON_SCHEMA_DIALECT,
    $id: schemaUri(row.id),
    // Plain id for API clients (the same value as meta:altId, Adobe's short id).
    id: row.id,
    'meta:altId': row.id,
    title: row.title,
    description: row.description,
    type: 'object',
    'meta:class': cls.id,
    'meta:extends': [cls.id, ...groups.map((g) => g.id)],
    ...(row.profile_enabled ? { 'meta:immutableTags': ['union'] } : {}),
    'meta:version': row.version,
    'meta:registryMetadata': {
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
      profileEnabledAt: row.profile_enabled_at?.toISOString() ?? null,
    },
  };
  const identities = descriptors.map((d) => ({
    id: d.id,
    sourceSchema: d.sourceSchema,
    sourceProperty: d.sourceProperty,
    namespace: d.namespace,
    isPrimary: d.isPrimary,
  }));
  if (full) return { ...head, properties: composition.properties, 'meta:identityDescriptors': identities };
  const defs: Record<string, unknown> = {
    [cls.id]: { title: cls.title, description: cls.description, type: 'object', properties: cls.properties },
  };
  for (const g of groups) {
    defs[g.id] = { title: g.title, description: g.description, type: 'object', 'meta:intendedToExtend': g.intendedToExtend, properties: g.definition };
  }
  return {
    ...head,
    allOf: Object.keys(defs).map((id) => ({ $ref: `#/$defs/${escapePointer(id)}` })),
    $defs: defs,
    'meta:identityDescriptors': identities,
  };
}
