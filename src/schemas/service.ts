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
import type { Db } from '../core/db';
import { NotFound } from '../core/errors';
import type { Caller } from '../core/types';
import type { NamespaceService } from '../namespaces/service';
import { findClass, XDM_CLASSES, type XdmClass } from './classes';
import { listLeaves } from './compose';
import * as fieldGroups from './custom-field-groups';
import * as identities from './identities';
import { enableProfile } from './profile';
import * as schemas from './schemas';
import type {
  FieldGroup,
  FieldGroupCreate,
  FieldGroupUpdate,
  IdentityDescriptor,
  IdentityInput,
  SchemaContext,
  SchemaCreate,
  SchemaDeleteHook,
  SchemaDocument,
  SchemaField,
  SchemaSummary,
  SchemaUpdate,
  XdmClassView,
} from './types';
import { RecordValidatorCache, type RecordValidator } from './validator';

export type {
  FieldGroup,
  FieldGroupCreate,
  FieldGroupUpdate,
  IdentityDescriptor,
  IdentityInput,
  SchemaCreate,
  SchemaDeleteHook,
  SchemaDocument,
  SchemaField,
  SchemaSummary,
  SchemaUpdate,
  XdmClassView,
} from './types';

/**
 * The module's public entry. Each part lives beside it: custom-field-groups.ts, schemas.ts,
 * profile.ts (enable for profile), identities.ts (identity descriptors); rows.ts loads and composes
 * a stored schema, checks.ts holds the argument checks.
 */
export class SchemaService {
  private readonly ctx: SchemaContext;

  constructor(db: Db, audit: AuditService, namespaces: NamespaceService) {
    this.ctx = { db, audit, namespaces, validators: new RecordValidatorCache(), deleteHooks: [] };
  }

  /** Lets a later module (governance labels, datasets) clean up or refuse when a schema is deleted. */
  onDelete(hook: SchemaDeleteHook): void {
    this.ctx.deleteHooks.push(hook);
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

  // ---- field groups (custom-field-groups.ts) -----------------------------------------------------

  listFieldGroups(caller: Caller, query: { classId?: string } = {}): Promise<FieldGroup[]> {
    return fieldGroups.listFieldGroups(this.ctx, caller, query);
  }

  getFieldGroup(caller: Caller, id: string): Promise<FieldGroup> {
    return fieldGroups.getFieldGroup(this.ctx, caller, id);
  }

  createFieldGroup(caller: Caller, input: FieldGroupCreate): Promise<FieldGroup> {
    return fieldGroups.createFieldGroup(this.ctx, caller, input);
  }

  updateFieldGroup(caller: Caller, id: string, input: FieldGroupUpdate): Promise<FieldGroup> {
    return fieldGroups.updateFieldGroup(this.ctx, caller, id, input);
  }

  deleteFieldGroup(caller: Caller, id: string): Promise<void> {
    return fieldGroups.deleteFieldGroup(this.ctx, caller, id);
  }

  // ---- schemas (schemas.ts, profile.ts) --------------------------------------------------------

  listSchemas(caller: Caller, query: { classId?: string } = {}): Promise<SchemaSummary[]> {
    return schemas.listSchemas(this.ctx, caller, query);
  }

  getSummary(caller: Caller, schemaId: string): Promise<SchemaSummary> {
    return schemas.getSummary(this.ctx, caller, schemaId);
  }

  getSchema(caller: Caller, schemaId: string, opts: { full?: boolean } = {}): Promise<SchemaDocument> {
    return schemas.getSchema(this.ctx, caller, schemaId, opts);
  }

  createSchema(caller: Caller, input: SchemaCreate): Promise<SchemaDocument> {
    return schemas.createSchema(this.ctx, caller, input);
  }

  updateSchema(caller: Caller, schemaId: string, input: SchemaUpdate): Promise<SchemaDocument> {
    return schemas.updateSchema(this.ctx, caller, schemaId, input);
  }

  async enableProfile(caller: Caller, schemaId: string, input: { enabled?: boolean } = {}): Promise<SchemaDocument> {
    await enableProfile(this.ctx, caller, schemaId, input);
    return schemas.getSchema(this.ctx, caller, schemaId);
  }

  deleteSchema(caller: Caller, schemaId: string): Promise<void> {
    return schemas.deleteSchema(this.ctx, caller, schemaId);
  }

  // ---- identity descriptors (identities.ts) ----------------------------------------------------

  listIdentities(caller: Caller, schemaId: string): Promise<IdentityDescriptor[]> {
    return identities.listIdentities(this.ctx, caller, schemaId);
  }

  addIdentity(caller: Caller, schemaId: string, input: IdentityInput): Promise<IdentityDescriptor> {
    return identities.addIdentity(this.ctx, caller, schemaId, input);
  }

  removeIdentity(caller: Caller, schemaId: string, descriptorId: string): Promise<void> {
    return identities.removeIdentity(this.ctx, caller, schemaId, descriptorId);
  }

  // ---- fields and records (for governance, datasets, ingestion, audiences; schemas.ts) ---------

  leafFields(caller: Caller, schemaId: string): Promise<SchemaField[]> {
    return schemas.leafFields(this.ctx, caller, schemaId);
  }

  validator(caller: Caller, schemaId: string): Promise<RecordValidator> {
    return schemas.validator(this.ctx, caller, schemaId);
  }
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
