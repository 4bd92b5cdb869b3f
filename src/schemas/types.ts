/** Shared types of the schemas module: its DTOs, rows and the context its parts share. */
import type { AuditService } from '../audit/service';
import type { Db, Tx } from '../core/db';
import type { Caller } from '../core/types';
import type { NamespaceService } from '../namespaces/service';
import type { ClassKind, XdmClass } from './classes';
import type { Composition, LeafField, Properties } from './compose';
import type { RecordValidatorCache } from './validator';

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

export interface SchemaRow {
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

export interface FieldGroupRow {
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

export interface DescriptorRow {
  id: string;
  ad_account_id: string;
  schema_id: string;
  field_path: string;
  namespace_id: string;
  is_primary: boolean;
  created_at: Date;
}

/** A schema with everything it is composed of. */
export interface Loaded {
  row: SchemaRow;
  cls: XdmClass;
  groups: FieldGroup[];
  composition: Composition;
  descriptors: DescriptorRow[];
}

/** What the parts of the module share: the services it uses, the validator cache and the delete hooks. */
export interface SchemaContext {
  db: Db;
  audit: AuditService;
  namespaces: NamespaceService;
  /** Record validators compiled per schema version. */
  validators: RecordValidatorCache;
  deleteHooks: SchemaDeleteHook[];
}
