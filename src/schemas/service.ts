/**
 * XDM-like schemas: a read-only class (classes.ts) plus field groups (standard ones in code, custom
 * ones per ad account), identity descriptors, and the one-way "enable for profile" switch.
 *
 * Rules kept here (Adobe's):
 * - a prospect schema (Individual Prospect Profile) may only use Partner ID namespaces, which keeps
 *   prospects apart from first-party profiles; a first-party schema may not make a Partner ID primary;
 * - a schema needs exactly one primary identity to be enabled for profile;
 * - once enabled, changes are additive only: field groups may be added, never removed, and fields of
 *   used custom field groups may be added but not removed or changed; the primary identity stays.
 *   Datasets, ingested records and audiences depend on the fields as they were.
 *
 * The composed document is built on every read from the class, the field groups and the descriptors;
 * record validators compiled from it are cached per schema version (validator()).
 */
import type { AuditService } from '../audit/service';
import type { Db, Queryable, Tx } from '../core/db';
import { Conflict, Duplicate, FieldError, InvalidRequest, isCdpError, NotFound, ruleError, UnprocessableRequest } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { escapePointer } from '../core/validation';
import type { Namespace, NamespaceService } from '../namespaces/service';
import { findClass, XDM_CLASSES, type ClassKind, type XdmClass } from './classes';
import {
  checkFieldDefinitions,
  compose,
  Composition,
  describeField,
  fieldAt,
  JSON_SCHEMA_DIALECT,
  LeafField,
  listLeaves,
  nonAdditiveChanges,
  Properties,
  recordSchema,
  schemaUri,
} from './compose';
import { findStandardFieldGroup, STANDARD_FIELD_GROUPS } from './field-groups';
import { RecordValidator, RecordValidatorCache, schemaHash } from './validator';

/** One leaf field of a composed schema (see LeafField), with its identity descriptor if it has one. */
export interface SchemaField extends LeafField {
  /** Dot path, e.g. `person.name.firstName`. */
  path: string;
  /** JSON Schema type of the leaf: string, number, integer, boolean, array. */
  type: string;
  format?: string;
  /** meta:xdmType: string, date, date-time, number, long, int, short, byte, boolean, array. */
  xdmType: string;
  /** For arrays: the item type. */
  itemType?: string;
  /** Class or field group that contributed the field. */
  source: string;
  /** Filled by the platform (`_repo.*`, batch and repository ids); leave out of rules and mappings. */
  system: boolean;
  identity?: { namespace: string; namespaceId: string; namespaceType: string; primary: boolean };
}

export interface XdmClassView {
  id: string;
  title: string;
  description: string;
  kind: ClassKind;
  /** JSON Schema `properties` of the preconfigured fields (system fields carry `meta:system`). */
  definition: Properties;
  fields: LeafField[];
}

export interface FieldGroup {
  id: string;
  title: string;
  description: string;
  /** Shipped with the product (ids `fg:…`), read-only. */
  standard: boolean;
  /** meta:intendedToExtend: the classes a schema may combine it with. */
  intendedToExtend: string[];
  /** JSON Schema `properties` object (xdm-field-definitions). */
  definition: Properties;
  version: number;
  createdAt: string | null;
  updatedAt: string | null;
  /** Schemas of the ad account using the group (single reads only). */
  usedBy?: { id: string; title: string; profileEnabled: boolean }[];
}

export interface FieldGroupCreate {
  title: string;
  description?: string;
  intendedToExtend: string[];
  definition: Properties;
}

export interface FieldGroupUpdate {
  title?: string;
  description?: string;
  intendedToExtend?: string[];
  definition?: Properties;
}

export interface IdentityInput {
  fieldPath: string;
  /** Namespace id or code (identity symbol). */
  namespace: string;
  primary?: boolean;
}

export interface SchemaCreate {
  title: string;
  description?: string;
  classId: string;
  fieldGroupIds?: string[];
  identities?: IdentityInput[];
}

export interface SchemaUpdate {
  title?: string;
  description?: string;
  /** The whole new list; once profile-enabled it may only grow. */
  fieldGroupIds?: string[];
  /** Immutable: accepted only when equal. */
  classId?: string;
  /** true enables for profile (as POST …/enable-profile); false is refused once enabled (one-way). */
  profileEnabled?: boolean;
}

export interface IdentityDescriptor {
  id: string;
  /** `$id` of the schema. */
  sourceSchema: string;
  /** JSON Pointer of the field in a record, e.g. `/partnerID`. */
  sourceProperty: string;
  fieldPath: string;
  /** Namespace code (identity symbol). */
  namespace: string;
  namespaceId: string;
  namespaceType: string;
  isPrimary: boolean;
  createdAt: string;
}

export interface SchemaSummary {
  id: string;
  title: string;
  description: string;
  classId: string;
  kind: ClassKind;
  fieldGroupIds: string[];
  profileEnabled: boolean;
  profileEnabledAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** A composed schema document (JSON Schema 2020-12 with `meta:` keywords). */
export type SchemaDocument = Record<string, unknown>;

/** Runs inside the transaction deleting a schema; throw to refuse (e.g. datasets still use it). */
export type SchemaDeleteHook = (tx: Tx, caller: Caller, schemaId: string) => Promise<void>;

interface SchemaRow {
  id: string;
  ad_account_id: string;
  title: string;
  description: string;
  class_id: string;
  field_group_ids: string[];
  profile_enabled: boolean;
  profile_enabled_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface FieldGroupRow {
  id: string;
  ad_account_id: string;
  title: string;
  description: string;
  intended_classes: string[];
  definition: Properties;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface DescriptorRow {
  id: string;
  ad_account_id: string;
  schema_id: string;
  field_path: string;
  namespace_id: string;
  is_primary: boolean;
  created_at: Date;
}

/** A schema with everything it is composed of. */
interface Loaded {
  row: SchemaRow;
  cls: XdmClass;
  groups: FieldGroup[];
  composition: Composition;
  descriptors: DescriptorRow[];
}

const TITLE_MAX = 200;
const DESCRIPTION_MAX = 2000;
const MAX_FIELD_GROUPS_PER_SCHEMA = 50;
const MAX_IDENTITIES = 20;

function throwAll(errors: FieldError[], status: 400 | 422 = 422): void {
  if (errors.length === 0) return;
  const Kind = status === 400 ? InvalidRequest : UnprocessableRequest;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''}, see errors)` : '';
  throw new Kind(errors[0].message + more, { errors });
}

function checkTitle(value: unknown, pointer = '/title'): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > TITLE_MAX) {
    throw ruleError(pointer, 'title', `title must be a non-blank string of at most ${TITLE_MAX} characters`, 400);
  }
  return value.trim();
}

function checkDescription(value: unknown, pointer = '/description'): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || value.length > DESCRIPTION_MAX) {
    throw ruleError(pointer, 'description', `description must be a string of at most ${DESCRIPTION_MAX} characters`, 400);
  }
  return value;
}

function checkIdList(value: unknown, pointer: string, what: string, minItems: number, maxItems: number): string[] {
  if (!Array.isArray(value) || value.length < minItems || value.length > maxItems || value.some((v) => typeof v !== 'string' || v === '')) {
    throw ruleError(pointer, 'type', `${what} must be an array of ${minItems}–${maxItems} non-empty strings`, 400);
  }
  const seen = new Set<string>();
  value.forEach((v: string, i) => {
    if (seen.has(v)) throw ruleError(`${pointer}/${i}`, 'uniqueItems', `${v} is listed twice`, 400);
    seen.add(v);
  });
  return value as string[];
}

/** `a.b.c` → `/a/properties/b/properties/c`, a pointer into a `properties` object. */
function definitionPointer(dotPath: string): string {
  return '/' + dotPath.split('.').map(escapePointer).join('/properties/');
}

const toSummary = (r: SchemaRow): SchemaSummary => ({
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

const toFieldGroup = (r: FieldGroupRow): FieldGroup => ({
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

const standardGroups: FieldGroup[] = STANDARD_FIELD_GROUPS.map((g) => ({
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

const SCHEMA_UNIQUE = 'schemas_account_title';
const GROUP_UNIQUE = 'field_groups_account_title';

function raceToDuplicate(err: unknown, what: string, title: string): unknown {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && (e.constraint === SCHEMA_UNIQUE || e.constraint === GROUP_UNIQUE)) {
    const message = `A ${what} titled "${title}" already exists in this ad account; choose another title`;
    return new Duplicate(message, { errors: [{ pointer: '/title', rule: 'unique', message }] });
  }
  return err;
}

export class SchemaService {
  private readonly validators = new RecordValidatorCache();
  private readonly deleteHooks: SchemaDeleteHook[] = [];

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly namespaces: NamespaceService,
  ) {}

  /** Lets a later module (governance labels, datasets) clean up or refuse when a schema is deleted. */
  onDelete(hook: SchemaDeleteHook): void {
    this.deleteHooks.push(hook);
  }

  // ---- classes ---------------------------------------------------------------------------------

  async listClasses(_caller: Caller): Promise<XdmClassView[]> {
    return XDM_CLASSES.map(classView);
  }

  async getClass(_caller: Caller, id: string): Promise<XdmClassView> {
    const cls = findClass(id);
    if (!cls) throw new NotFound(`Class ${id} not found; GET /v1/classes lists them`);
    return classView(cls);
  }

  // ---- field groups ----------------------------------------------------------------------------

  /** Standard groups first, then the account's custom groups by title. */
  async listFieldGroups(caller: Caller, query: { classId?: string } = {}): Promise<FieldGroup[]> {
    const q = this.db<FieldGroupRow>('field_groups').where('ad_account_id', caller.adAccountId);
    if (query.classId) q.whereRaw('? = any(intended_classes)', [query.classId]);
    const rows = await q.orderByRaw('lower(title)').orderBy('id');
    const standard = query.classId ? standardGroups.filter((g) => g.intendedToExtend.includes(query.classId!)) : standardGroups;
    return [...standard, ...rows.map(toFieldGroup)];
  }

  async getFieldGroup(caller: Caller, id: string): Promise<FieldGroup> {
    const group = await this.findGroup(this.db, caller, id);
    const users = await this.schemasUsing(this.db, caller, id);
    return { ...group, usedBy: users.map((r) => ({ id: r.id, title: r.title, profileEnabled: r.profile_enabled })) };
  }

  async createFieldGroup(caller: Caller, input: FieldGroupCreate): Promise<FieldGroup> {
    const title = checkTitle(input.title);
    const description = checkDescription(input.description);
    const intended = this.checkIntendedClasses(input.intendedToExtend);
    const definition = checkFieldDefinitions(input.definition);
    await this.assertGroupTitleFree(this.db, caller, title);
    try {
      return await this.db.transaction(async (tx) => {
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
        await this.audit.record(tx, caller, { action: 'create', resourceType: 'field_group', resourceId: created.id, after: created });
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
  async updateFieldGroup(caller: Caller, id: string, input: FieldGroupUpdate): Promise<FieldGroup> {
    if (findStandardFieldGroup(id)) {
      const field = Object.keys(input ?? {})[0] ?? '';
      throw ruleError(field ? `/${field}` : '', 'standard', `${id} is a standard field group and cannot be changed; create a custom field group instead`);
    }
    const title = input.title === undefined ? undefined : checkTitle(input.title);
    const description = input.description === undefined ? undefined : checkDescription(input.description);
    const intended = input.intendedToExtend === undefined ? undefined : this.checkIntendedClasses(input.intendedToExtend);
    const definition = input.definition === undefined ? undefined : checkFieldDefinitions(input.definition);
    try {
      return await this.db.transaction(async (tx) => {
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
        if (next.title.toLowerCase() !== before.title.toLowerCase()) await this.assertGroupTitleFree(tx, caller, next.title, id);

        const users = await this.schemasUsing(tx, caller, id, true);
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
            const loaded = await this.loadRow(tx, caller, s, { [id]: next.definition });
            for (const c of loaded.composition.conflicts) {
              errors.push({ pointer: `/definition${definitionPointer(c.path)}`, rule: 'field-conflict', message: `${c.message} (in schema "${s.title}")` });
            }
            errors.push(...this.identityFieldErrors(loaded, '/definition', `field group ${id}`));
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
        await this.audit.record(tx, caller, { action: 'update', resourceType: 'field_group', resourceId: id, before, after });
        if (fieldsChanged) {
          // The composed document of every user changed: new version (and a new record validator).
          for (const s of users) {
            const [bumped] = await tx<SchemaRow>('schemas').where({ id: s.id }).update({ version: s.version + 1, updated_at: new Date() }).returning('*');
            await this.audit.record(tx, caller, { action: 'update', resourceType: 'schema', resourceId: s.id, before: toSummary(s), after: toSummary(bumped) });
          }
        }
        return after;
      });
    } catch (err) {
      throw raceToDuplicate(err, 'field group', title ?? '');
    }
  }

  /** Refused while any schema uses the group (409). */
  async deleteFieldGroup(caller: Caller, id: string): Promise<void> {
    if (findStandardFieldGroup(id)) {
      throw ruleError('', 'standard', `${id} is a standard field group and cannot be deleted`);
    }
    await this.db.transaction(async (tx) => {
      const row = await tx<FieldGroupRow>('field_groups').where({ id, ad_account_id: caller.adAccountId }).forUpdate().first();
      if (!row) throw new NotFound(`Field group ${id} not found; GET /v1/field-groups lists them`);
      const users = await this.schemasUsing(tx, caller, id, true);
      if (users.length) {
        const names = users.map((s) => `"${s.title}" (${s.id})`).join(', ');
        const message = `Field group "${row.title}" is used by schema ${names}; remove it from ${users.length > 1 ? 'those schemas' : 'that schema'} (PATCH /v1/schemas/{id} fieldGroupIds) before deleting it`;
        throw new Conflict(message, { errors: [{ pointer: '', rule: 'in-use', message }] });
      }
      await tx('field_groups').where({ id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'field_group', resourceId: id, before: toFieldGroup(row) });
    });
  }

  // ---- schemas ---------------------------------------------------------------------------------

  async listSchemas(caller: Caller, query: { classId?: string } = {}): Promise<SchemaSummary[]> {
    const q = this.db<SchemaRow>('schemas').where('ad_account_id', caller.adAccountId);
    if (query.classId) q.where('class_id', query.classId);
    const rows = await q.orderByRaw('lower(title)').orderBy('id');
    return rows.map(toSummary);
  }

  /** Class, kind, field groups, profile flag and version: what datasets and ingestion need to know. */
  async getSummary(caller: Caller, schemaId: string): Promise<SchemaSummary> {
    return toSummary(await this.findRow(this.db, caller, schemaId));
  }

  /**
   * The composed document: `allOf` of `$ref`s into `$defs` (class and field groups), or with
   * `full` the merged `properties` tree.
   */
  async getSchema(caller: Caller, schemaId: string, opts: { full?: boolean } = {}): Promise<SchemaDocument> {
    const loaded = await this.load(this.db, caller, schemaId);
    return this.document(caller, loaded, opts.full === true);
  }

  async createSchema(caller: Caller, input: SchemaCreate): Promise<SchemaDocument> {
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

    await this.assertSchemaTitleFree(this.db, caller, title);

    const id = newId('sch');
    try {
      await this.db.transaction(async (tx) => {
        await this.lockGroups(tx, caller, groupIds);
        const groups = await this.resolveGroups(tx, caller, cls, groupIds, (i) => `/fieldGroupIds/${i}`);
        const composition = composeSchema(cls, groups);
        throwAll(conflictErrors(composition, (i) => `/fieldGroupIds/${i - 1}`));
        const resolved = await this.checkIdentities(caller, cls, composition, [], identities, (i) => `/identities/${i}`, false);
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
        await this.audit.record(tx, caller, { action: 'create', resourceType: 'schema', resourceId: id, after: { ...toSummary(row), identities: descriptors } });
        for (const d of descriptors) {
          await this.audit.record(tx, caller, { action: 'create', resourceType: 'identity_descriptor', resourceId: d.id, after: d });
        }
      });
    } catch (err) {
      throw raceToDuplicate(err, 'schema', title);
    }
    return this.getSchema(caller, id);
  }

  /**
   * Title, description, field groups; `profileEnabled: true` enables for profile. After enabling,
   * only additive changes: field groups may be added, never removed.
   */
  async updateSchema(caller: Caller, schemaId: string, input: SchemaUpdate): Promise<SchemaDocument> {
    const title = input.title === undefined ? undefined : checkTitle(input.title);
    const description = input.description === undefined ? undefined : checkDescription(input.description);
    const groupIds = input.fieldGroupIds === undefined ? undefined : checkIdList(input.fieldGroupIds, '/fieldGroupIds', 'fieldGroupIds', 0, MAX_FIELD_GROUPS_PER_SCHEMA);
    if (input.profileEnabled !== undefined && typeof input.profileEnabled !== 'boolean') {
      throw ruleError('/profileEnabled', 'type', 'profileEnabled must be a boolean', 400);
    }
    try {
      await this.db.transaction(async (tx) => {
        await this.lockGroups(tx, caller, groupIds ?? []);
        const row = await this.findRow(tx, caller, schemaId, true);
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

        let loaded = await this.loadRow(tx, caller, row);
        const groupsChanged = groupIds !== undefined && JSON.stringify(groupIds) !== JSON.stringify(row.field_group_ids);
        if (groupsChanged) {
          const groups = await this.resolveGroups(tx, caller, cls, groupIds!, (i) => `/fieldGroupIds/${i}`);
          const composition = composeSchema(cls, groups);
          throwAll(conflictErrors(composition, (i) => `/fieldGroupIds/${i - 1}`));
          loaded = { ...loaded, groups, composition };
          throwAll(this.identityFieldErrors(loaded, '/fieldGroupIds', 'the new field groups'));
        }
        const next = {
          title: title ?? row.title,
          description: description ?? row.description,
          field_group_ids: groupIds ?? row.field_group_ids,
        };
        const enabling = input.profileEnabled === true && !row.profile_enabled;
        if (enabling) this.assertEnableable(loaded);
        if (next.title === row.title && next.description === row.description && !groupsChanged && !enabling) return;
        if (next.title.toLowerCase() !== row.title.toLowerCase()) await this.assertSchemaTitleFree(tx, caller, next.title, row.id);
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
        await this.audit.record(tx, caller, { action: 'update', resourceType: 'schema', resourceId: row.id, before: toSummary(row), after: toSummary(updated) });
      });
    } catch (err) {
      throw raceToDuplicate(err, 'schema', title ?? '');
    }
    return this.getSchema(caller, schemaId);
  }

  /**
   * One-way: sets the immutable `union` tag. Needs exactly one primary identity. Enabling an enabled
   * schema changes nothing; `enabled: false` is refused (rule one-way).
   */
  async enableProfile(caller: Caller, schemaId: string, input: { enabled?: boolean } = {}): Promise<SchemaDocument> {
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw ruleError('/enabled', 'type', 'enabled must be a boolean', 400);
    await this.db.transaction(async (tx) => {
      const row = await this.findRow(tx, caller, schemaId, true);
      if (input.enabled === false) {
        throw ruleError('/enabled', 'one-way', row.profile_enabled ? oneWayMessage(row) : `Schema "${row.title}" is not enabled for profile; there is nothing to disable`);
      }
      if (row.profile_enabled) return;
      const loaded = await this.loadRow(tx, caller, row);
      this.assertEnableable(loaded);
      const now = new Date();
      const [updated] = await tx<SchemaRow>('schemas')
        .where({ id: row.id })
        .update({ profile_enabled: true, profile_enabled_at: now, version: row.version + 1, updated_at: now })
        .returning('*');
      await this.audit.record(tx, caller, { action: 'update', resourceType: 'schema', resourceId: row.id, before: toSummary(row), after: toSummary(updated) });
    });
    return this.getSchema(caller, schemaId);
  }

  /** Refused once enabled for profile: datasets, records and audiences depend on it. */
  async deleteSchema(caller: Caller, schemaId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.findRow(tx, caller, schemaId, true);
      if (row.profile_enabled) {
        const message =
          `Schema "${row.title}" is enabled for profile and cannot be deleted: datasets, ingested profiles and audiences depend on it, ` +
          'and enabling is one-way. Stop using it (or create a new schema) instead';
        throw new Conflict(message, { errors: [{ pointer: '', rule: 'profile-enabled', message }] });
      }
      for (const hook of this.deleteHooks) await hook(tx, caller, row.id);
      const descriptors = await tx<DescriptorRow>('identity_descriptors').where({ schema_id: row.id, ad_account_id: caller.adAccountId });
      await tx('schemas').where({ id: row.id }).delete(); // descriptors go with it (on delete cascade)
      await this.audit.record(tx, caller, {
        action: 'delete',
        resourceType: 'schema',
        resourceId: row.id,
        before: { ...toSummary(row), identities: descriptors.map((d) => ({ id: d.id, fieldPath: d.field_path, namespaceId: d.namespace_id, isPrimary: d.is_primary })) },
      });
    });
    this.validators.forget(schemaId);
  }

  // ---- identity descriptors --------------------------------------------------------------------

  async listIdentities(caller: Caller, schemaId: string): Promise<IdentityDescriptor[]> {
    const row = await this.findRow(this.db, caller, schemaId);
    const descriptors = await this.descriptorsOf(this.db, caller, row.id);
    return this.describeDescriptors(caller, row.id, descriptors);
  }

  /** Marks a string field as an identity; a primary one may not be added once enabled for profile. */
  async addIdentity(caller: Caller, schemaId: string, input: IdentityInput): Promise<IdentityDescriptor> {
    checkIdentityShape(input, '');
    return this.db.transaction(async (tx) => {
      const row = await this.findRow(tx, caller, schemaId, true);
      const loaded = await this.loadRow(tx, caller, row);
      if (row.profile_enabled && input.primary === true) {
        throw ruleError('/primary', 'additive-only', `Schema "${row.title}" is enabled for profile: its primary identity cannot change. Add the field as a secondary identity (primary: false)`);
      }
      const [r] = await this.checkIdentities(caller, loaded.cls, loaded.composition, loaded.descriptors, [input], () => '', true);
      const [d] = await tx<DescriptorRow>('identity_descriptors')
        .insert({ id: newId('idd'), ad_account_id: caller.adAccountId, schema_id: row.id, field_path: r.fieldPath, namespace_id: r.namespace.id, is_primary: r.primary })
        .returning('*');
      const created = toDescriptor(d, row.id, r.namespace);
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'identity_descriptor', resourceId: d.id, after: created });
      await this.bump(tx, caller, row);
      return created;
    });
  }

  /** Refused once enabled for profile (removing is not additive). */
  async removeIdentity(caller: Caller, schemaId: string, descriptorId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.findRow(tx, caller, schemaId, true);
      const d = await tx<DescriptorRow>('identity_descriptors').where({ id: descriptorId, schema_id: row.id, ad_account_id: caller.adAccountId }).first();
      if (!d) throw new NotFound(`Identity descriptor ${descriptorId} not found on schema ${schemaId}; GET /v1/schemas/${schemaId}/identities lists them`);
      if (row.profile_enabled) {
        throw ruleError(
          '',
          'additive-only',
          d.is_primary
            ? `Schema "${row.title}" is enabled for profile: its primary identity (${d.field_path}) cannot be removed or changed`
            : `Schema "${row.title}" is enabled for profile, so only additive changes are allowed: the identity on ${d.field_path} cannot be removed`,
        );
      }
      const [ns] = await this.describeDescriptors(caller, row.id, [d]);
      await tx('identity_descriptors').where({ id: d.id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'identity_descriptor', resourceId: d.id, before: ns });
      await this.bump(tx, caller, row);
    });
  }

  // ---- fields and records (for governance, datasets, ingestion, audiences) -------------------

  /** Every leaf field of the composed schema with its dot path, type, source and identity. */
  async leafFields(caller: Caller, schemaId: string): Promise<SchemaField[]> {
    const loaded = await this.load(this.db, caller, schemaId);
    const descriptors = await this.describeDescriptors(caller, loaded.row.id, loaded.descriptors);
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
  async validator(caller: Caller, schemaId: string): Promise<RecordValidator> {
    const loaded = await this.load(this.db, caller, schemaId);
    const schema = recordSchema(loaded.composition.properties);
    return this.validators.get({ schemaId: loaded.row.id, version: loaded.row.version, hash: schemaHash(schema) }, () => schema);
  }

  // ---- internals -------------------------------------------------------------------------------

  private checkIntendedClasses(value: unknown): string[] {
    const ids = checkIdList(value, '/intendedToExtend', 'intendedToExtend', 1, XDM_CLASSES.length);
    throwAll(
      ids.flatMap((id, i) =>
        findClass(id) ? [] : [{ pointer: `/intendedToExtend/${i}`, rule: 'class', message: `Class ${id} does not exist; use ${XDM_CLASSES.map((c) => c.id).join(' or ')}` }],
      ),
    );
    return ids;
  }

  private async findRow(q: Queryable, caller: Caller, schemaId: string, forUpdate = false): Promise<SchemaRow> {
    const query = q<SchemaRow>('schemas').where({ id: schemaId, ad_account_id: caller.adAccountId });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`Schema ${schemaId} not found; GET /v1/schemas lists them`);
    return row;
  }

  private async findGroup(q: Queryable, caller: Caller, id: string): Promise<FieldGroup> {
    const standard = standardGroups.find((g) => g.id === id);
    if (standard) return standard;
    const row = await q<FieldGroupRow>('field_groups').where({ id, ad_account_id: caller.adAccountId }).first();
    if (!row) throw new NotFound(`Field group ${id} not found; GET /v1/field-groups lists them`);
    return toFieldGroup(row);
  }

  private async schemasUsing(q: Queryable, caller: Caller, groupId: string, forUpdate = false): Promise<SchemaRow[]> {
    const query = q<SchemaRow>('schemas').where('ad_account_id', caller.adAccountId).whereRaw('? = any(field_group_ids)', [groupId]).orderBy('id');
    if (forUpdate) query.forUpdate();
    return query;
  }

  /** Share-locks the custom groups a schema write composes, so their fields cannot change meanwhile. */
  private async lockGroups(tx: Tx, caller: Caller, ids: readonly string[]): Promise<void> {
    const custom = ids.filter((id) => !findStandardFieldGroup(id));
    if (custom.length) await tx('field_groups').where('ad_account_id', caller.adAccountId).whereIn('id', custom).orderBy('id').forShare().select('id');
  }

  /** Field groups by id, in order; unknown ids and groups not meant for the class are 422s. */
  private async resolveGroups(q: Queryable, caller: Caller, cls: XdmClass, ids: readonly string[], pointerOf: (i: number) => string): Promise<FieldGroup[]> {
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

  private async load(q: Queryable, caller: Caller, schemaId: string): Promise<Loaded> {
    return this.loadRow(q, caller, await this.findRow(q, caller, schemaId));
  }

  /** `override` replaces a custom group's fields (to try a change before saving it). */
  private async loadRow(q: Queryable, caller: Caller, row: SchemaRow, override: Record<string, Properties> = {}): Promise<Loaded> {
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
    const descriptors = await this.descriptorsOf(q, caller, row.id);
    return { row, cls, groups, composition: composeSchema(cls, groups), descriptors };
  }

  private async descriptorsOf(q: Queryable, caller: Caller, schemaId: string): Promise<DescriptorRow[]> {
    return q<DescriptorRow>('identity_descriptors')
      .where({ schema_id: schemaId, ad_account_id: caller.adAccountId })
      .orderBy('is_primary', 'desc')
      .orderBy('id');
  }

  private async describeDescriptors(caller: Caller, schemaId: string, rows: readonly DescriptorRow[]): Promise<IdentityDescriptor[]> {
    const cache = new Map<string, Namespace>();
    const out: IdentityDescriptor[] = [];
    for (const d of rows) {
      let ns = cache.get(d.namespace_id);
      if (!ns) {
        ns = await this.namespaces.get(caller, d.namespace_id);
        cache.set(d.namespace_id, ns);
      }
      out.push(toDescriptor(d, schemaId, ns));
    }
    return out;
  }

  /** Descriptors whose field is gone or no longer a string after a change of field groups. */
  private identityFieldErrors(loaded: Loaded, pointer: string, what: string): FieldError[] {
    const errors: FieldError[] = [];
    for (const d of loaded.descriptors) {
      const field = fieldAt(loaded.composition.properties, d.field_path);
      if (!field || field.type !== 'string') {
        errors.push({
          pointer,
          rule: 'identity-field',
          message: `Field ${d.field_path} is an identity of schema "${loaded.row.title}" and would ${field ? `become ${describeField(field)}` : 'disappear'} with ${what}; remove the identity descriptor first`,
        });
      }
    }
    return errors;
  }

  /**
   * Checks identity inputs against the composed fields, the namespaces and the class's rules;
   * `existing` are the schema's current descriptors. Throws every finding at once.
   */
  private async checkIdentities(
    caller: Caller,
    cls: XdmClass,
    composition: Composition,
    existing: readonly DescriptorRow[],
    inputs: readonly IdentityInput[],
    pointerOf: (i: number) => string,
    adding: boolean,
  ): Promise<{ fieldPath: string; namespace: Namespace; primary: boolean }[]> {
    const errors: FieldError[] = [];
    const out: { fieldPath: string; namespace: Namespace; primary: boolean }[] = [];
    const paths = new Set(existing.map((d) => d.field_path));
    let primaries = existing.filter((d) => d.is_primary).length;
    for (const [i, input] of inputs.entries()) {
      const at = pointerOf(i);
      const fieldPath = input.fieldPath;
      const primary = input.primary === true;
      const field = fieldAt(composition.properties, fieldPath);
      let ok = true;
      if (!field) {
        errors.push({ pointer: `${at}/fieldPath`, rule: 'identity-field', message: `Field ${fieldPath} is not in the schema; an identity must be a string field given by its dot path (GET /v1/schemas/{id}/fields lists them)` });
        ok = false;
      } else if (field.type !== 'string') {
        errors.push({ pointer: `${at}/fieldPath`, rule: 'identity-field', message: `Field ${fieldPath} is ${describeField(field)}; an identity must be a string field` });
        ok = false;
      } else if (field['meta:system']) {
        errors.push({ pointer: `${at}/fieldPath`, rule: 'identity-field', message: `Field ${fieldPath} is filled by the platform and cannot be an identity; choose a field the data carries` });
        ok = false;
      } else if (paths.has(fieldPath)) {
        errors.push({ pointer: `${at}/fieldPath`, rule: 'duplicate-identity', message: `Field ${fieldPath} is already an identity of this schema${adding ? '; remove that descriptor first to change its namespace' : ''}` });
        ok = false;
      }
      paths.add(fieldPath);
      let namespace: Namespace | undefined;
      try {
        namespace = await this.namespaces.get(caller, input.namespace);
      } catch (err) {
        if (!(isCdpError(err) && err.status === 404)) throw err;
        errors.push({
          pointer: `${at}/namespace`,
          rule: 'namespace',
          message: `Namespace ${input.namespace} (for field ${fieldPath}) does not exist in this ad account; give a namespace id or code from GET /v1/namespaces`,
        });
        continue;
      }
      if (cls.kind === 'prospect' && namespace.type !== 'partner_id') {
        errors.push({
          pointer: `${at}/namespace`,
          rule: 'prospect-partner-id',
          message:
            `Field ${fieldPath}: a prospect schema (${cls.title}) may only use Partner ID namespaces, but ${namespace.code} is of type ${namespace.type}. ` +
            'Create a namespace of type partner_id for the data partner (POST /v1/namespaces) and use it',
        });
        ok = false;
      }
      if (cls.kind === 'first_party' && primary && namespace.type === 'partner_id') {
        errors.push({
          pointer: `${at}/namespace`,
          rule: 'partner-id-primary',
          message:
            `Field ${fieldPath}: the Partner ID namespace ${namespace.code} cannot be the primary identity of a first-party schema (partner ids never stitch profiles). ` +
            'Make it a secondary identity (primary: false) and use a first-party namespace for the primary',
        });
        ok = false;
      }
      if (primary) {
        primaries++;
        if (primaries > 1) {
          errors.push({
            pointer: `${at}/primary`,
            rule: 'one-primary',
            message: `Field ${fieldPath}: a schema has exactly one primary identity and ${existing.some((d) => d.is_primary) ? 'this one already has one' : 'another identity in this request is already primary'}; set primary: false`,
          });
          ok = false;
        }
      }
      if (ok) out.push({ fieldPath, namespace, primary });
    }
    throwAll(errors);
    return out;
  }

  private assertEnableable(loaded: Loaded): void {
    const primaries = loaded.descriptors.filter((d) => d.is_primary);
    if (primaries.length !== 1) {
      const hint = loaded.cls.kind === 'prospect' ? ' (for a prospect schema: partnerID with a Partner ID namespace)' : '';
      throw ruleError(
        '',
        'primary-identity',
        `Schema "${loaded.row.title}" needs exactly one primary identity to be enabled for profile and has ${primaries.length}; ` +
          `add one with POST /v1/schemas/${loaded.row.id}/identities and primary: true${hint}`,
      );
    }
  }

  private async bump(tx: Tx, caller: Caller, row: SchemaRow): Promise<void> {
    const [updated] = await tx<SchemaRow>('schemas').where({ id: row.id, ad_account_id: caller.adAccountId }).update({ version: row.version + 1, updated_at: new Date() }).returning('*');
    await this.audit.record(tx, caller, { action: 'update', resourceType: 'schema', resourceId: row.id, before: toSummary(row), after: toSummary(updated) });
  }

  private async assertSchemaTitleFree(q: Queryable, caller: Caller, title: string, exceptId?: string): Promise<void> {
    const query = q('schemas').where('ad_account_id', caller.adAccountId).whereRaw('lower(title) = lower(?)', [title]);
    if (exceptId) query.whereNot('id', exceptId);
    if (await query.first()) {
      const message = `A schema titled "${title}" already exists in this ad account; choose another title`;
      throw new Duplicate(message, { errors: [{ pointer: '/title', rule: 'unique', message }] });
    }
  }

  private async assertGroupTitleFree(q: Queryable, caller: Caller, title: string, exceptId?: string): Promise<void> {
    const query = q('field_groups').where('ad_account_id', caller.adAccountId).whereRaw('lower(title) = lower(?)', [title]);
    if (exceptId) query.whereNot('id', exceptId);
    const standard = standardGroups.find((g) => g.title.toLowerCase() === title.toLowerCase());
    if (standard || (await query.first())) {
      const message = `A field group titled "${title}" already exists${standard ? ` (standard ${standard.id})` : ' in this ad account'}; choose another title`;
      throw new Duplicate(message, { errors: [{ pointer: '/title', rule: 'unique', message }] });
    }
  }

  private async document(caller: Caller, loaded: Loaded, full: boolean): Promise<SchemaDocument> {
    const { row, cls, groups, composition } = loaded;
    const descriptors = await this.describeDescriptors(caller, row.id, loaded.descriptors);
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
}

function composeSchema(cls: XdmClass, groups: readonly FieldGroup[]): Composition {
  return compose([{ id: cls.id, properties: cls.properties }, ...groups.map((g) => ({ id: g.id, properties: g.definition }))]);
}

/** Conflicts as 422 findings; source index 0 is the class, i ≥ 1 the i-th field group. */
function conflictErrors(composition: Composition, pointerOf: (sourceIndex: number) => string): FieldError[] {
  return composition.conflicts.map((c) => ({ pointer: pointerOf(c.sourceIndex), rule: 'field-conflict', message: c.message }));
}

function checkIdentityShape(input: unknown, at: string): void {
  const v = input as IdentityInput;
  if (!v || typeof v !== 'object') throw ruleError(at, 'type', 'an identity is { fieldPath, namespace, primary }', 400);
  if (typeof v.fieldPath !== 'string' || v.fieldPath === '') throw ruleError(`${at}/fieldPath`, 'required', 'fieldPath (dot path of a string field) is required', 400);
  if (typeof v.namespace !== 'string' || v.namespace === '') throw ruleError(`${at}/namespace`, 'required', 'namespace (id or code) is required', 400);
  if (v.primary !== undefined && typeof v.primary !== 'boolean') throw ruleError(`${at}/primary`, 'type', 'primary must be a boolean', 400);
}

function oneWayMessage(row: SchemaRow): string {
  return `Enabling a schema for profile is one-way: schema "${row.title}" stays enabled. Create a new schema if you need one that is not`;
}

function toDescriptor(d: DescriptorRow, schemaId: string, ns: Namespace): IdentityDescriptor {
  return {
    id: d.id,
    sourceSchema: schemaUri(schemaId),
    sourceProperty: '/' + d.field_path.split('.').map(escapePointer).join('/'),
    fieldPath: d.field_path,
    namespace: ns.code,
    namespaceId: ns.id,
    namespaceType: ns.type,
    isPrimary: d.is_primary,
    createdAt: d.created_at.toISOString(),
  };
}

function classView(cls: XdmClass): XdmClassView {
  return {
    id: cls.id,
    title: cls.title,
    description: cls.description,
    kind: cls.kind,
    definition: cls.properties,
    fields: listLeaves(cls.properties, new Map(), cls.id),
  };
}
