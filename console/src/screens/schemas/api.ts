/** What the schema screens read, after the DTOs of src/schemas/service.ts and src/governance/service.ts. */
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';

export interface SchemaSummary {
  id: string;
  title: string;
  description: string;
  classId: string;
  kind: 'prospect' | 'first_party';
  fieldGroupIds: string[];
  profileEnabled: boolean;
  profileEnabledAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** JSON Schema `properties` of XDM fields (src/schemas/compose.ts FieldDefinition, the parts we show). */
export interface FieldDefinition {
  type: string;
  title?: string;
  description?: string;
  format?: string;
  'meta:xdmType'?: string;
  'meta:system'?: boolean;
  properties?: Properties;
  items?: FieldDefinition;
}
export type Properties = Record<string, FieldDefinition>;

export interface LeafField {
  path: string;
  type: string;
  format?: string;
  xdmType: string;
  itemType?: string;
  title?: string;
  description?: string;
  source: string;
  system: boolean;
  identity?: { namespace: string; namespaceId: string; namespaceType: string; primary: boolean };
}

export interface XdmClass {
  id: string;
  title: string;
  description: string;
  kind: 'prospect' | 'first_party';
  definition: Properties;
  fields: LeafField[];
}

export interface FieldGroup {
  id: string;
  title: string;
  description: string;
  standard: boolean;
  intendedToExtend: string[];
  definition: Properties;
}

export interface Namespace {
  id: string;
  name: string;
  code: string;
  type: string;
}

export interface SchemaDocument {
  id: string;
  title: string;
  description: string;
  'meta:class': string;
  'meta:extends': string[];
  'meta:version': number;
  properties: Properties;
}

export interface FieldLabels {
  schemaId: string;
  fields: { path: string; labels: string[] }[];
}

export const keys = {
  list: ['schemas'] as const,
  summary: (id: string) => ['schemas', id, 'summary'] as const,
  full: (id: string) => ['schemas', id, 'full'] as const,
  fields: (id: string) => ['schemas', id, 'fields'] as const,
  labels: (id: string) => ['schemas', id, 'labels'] as const,
};

export function useSchemas() {
  return useQuery({ queryKey: keys.list, queryFn: () => unwrap<{ items: SchemaSummary[] }>(api.GET('/v1/schemas')), select: (d) => d.items });
}

export function useClasses() {
  return useQuery({ queryKey: ['classes'], queryFn: () => unwrap<{ items: XdmClass[] }>(api.GET('/v1/classes')), select: (d) => d.items });
}

export function useFieldGroups(classId: string | null) {
  return useQuery({
    queryKey: ['field-groups', classId],
    enabled: classId !== null,
    queryFn: () => unwrap<{ items: FieldGroup[] }>(api.GET('/v1/field-groups', { params: { query: { classId: classId! } } })),
    select: (d) => d.items,
  });
}

export function useNamespaces() {
  return useQuery({ queryKey: ['namespaces'], queryFn: () => unwrap<{ items: Namespace[] }>(api.GET('/v1/namespaces')), select: (d) => d.items });
}

export function useSchemaFull(id: string) {
  return useQuery({ queryKey: keys.full(id), queryFn: () => unwrap<SchemaDocument>(api.GET('/v1/schemas/{id}', { params: { path: { id }, query: { full: true } } })) });
}

export function useSchemaFields(id: string) {
  return useQuery({ queryKey: keys.fields(id), queryFn: () => unwrap<{ items: LeafField[] }>(api.GET('/v1/schemas/{id}/fields', { params: { path: { id } } })), select: (d) => d.items });
}

export function useFieldLabels(id: string) {
  return useQuery({ queryKey: keys.labels(id), queryFn: () => unwrap<FieldLabels>(api.GET('/v1/schemas/{id}/labels', { params: { path: { id } } })) });
}

/** Dot paths of the string leaves of a properties tree: the fields that can be an identity. */
export function stringLeaves(props: Properties, prefix = ''): { path: string; title?: string; system: boolean }[] {
  return Object.entries(props).flatMap(([name, def]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    if (def.type === 'object') return stringLeaves(def.properties ?? {}, path);
    return def.type === 'string' ? [{ path, title: def.title, system: def['meta:system'] === true }] : [];
  });
}

/** Number of leaf fields of a properties tree. */
export function leafCount(props: Properties): number {
  return Object.values(props).reduce((n, def) => n + (def.type === 'object' ? leafCount(def.properties ?? {}) : 1), 0);
}
