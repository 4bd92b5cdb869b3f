import { route, RouteSpec } from '../http/route';
import type { SchemaService } from './service';

export function schemaRoutes(schemas: SchemaService): RouteSpec[] {
  return [
    // ---- classes (read-only, in code)
    route({
      method: 'get', path: '/v1/classes', permission: 'schemas.read', tag: 'schemas',
      summary: 'XDM-like classes: Individual Prospect Profile (Partner ID identities only) and Individual Profile (first-party)',
      handler: async ({ caller }) => ({ items: await schemas.listClasses(caller) }),
    }),
    route({
      method: 'get', path: '/v1/classes/:id', permission: 'schemas.read', tag: 'schemas',
      summary: 'One class with its preconfigured fields (system fields marked meta:system)',
      handler: async ({ caller, params }) => schemas.getClass(caller, params.id),
    }),

    // ---- field groups
    route({
      method: 'get', path: '/v1/field-groups', permission: 'schemas.read', tag: 'schemas', query: 'field-group-list-query',
      summary: 'Standard field groups and the ad account\'s custom ones, optionally only those meant for a class',
      handler: async ({ caller, query }) => ({ items: await schemas.listFieldGroups(caller, query) }),
    }),
    route({
      method: 'post', path: '/v1/field-groups', permission: 'schemas.write', tag: 'schemas', body: 'field-group-create', status: 201,
      errors: [409, 422],
      summary: 'Create a custom field group (fields as a JSON Schema properties object; title unique per ad account)',
      handler: async ({ caller, body }) => schemas.createFieldGroup(caller, body),
    }),
    route({
      method: 'get', path: '/v1/field-groups/:id', permission: 'schemas.read', tag: 'schemas',
      summary: 'One field group with the schemas that use it',
      handler: async ({ caller, params }) => schemas.getFieldGroup(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/field-groups/:id', permission: 'schemas.write', tag: 'schemas', body: 'field-group-update',
      errors: [409, 422],
      summary: 'Change a custom field group; while a profile-enabled schema uses it, fields may only be added',
      handler: async ({ caller, params, body }) => schemas.updateFieldGroup(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/field-groups/:id', permission: 'schemas.write', tag: 'schemas',
      errors: [409, 422],
      summary: 'Delete a custom field group; refused (409) while a schema uses it',
      handler: async ({ caller, params }) => schemas.deleteFieldGroup(caller, params.id),
    }),

    // ---- schemas
    route({
      method: 'get', path: '/v1/schemas', permission: 'schemas.read', tag: 'schemas', query: 'schema-list-query',
      summary: 'Schemas of the ad account (summaries), optionally of one class',
      handler: async ({ caller, query }) => ({ items: await schemas.listSchemas(caller, query) }),
    }),
    route({
      method: 'post', path: '/v1/schemas', permission: 'schemas.write', tag: 'schemas', body: 'schema-create', status: 201,
      errors: [409, 422],
      summary: 'Create a schema from a class, field groups and identity descriptors; returns the composed document',
      handler: async ({ caller, body }) => schemas.createSchema(caller, body),
    }),
    route({
      method: 'get', path: '/v1/schemas/:id', permission: 'schemas.read', tag: 'schemas', query: 'schema-get-query',
      summary: 'The composed schema: JSON Schema 2020-12 with allOf/$defs and meta: keywords, or with full=true the merged properties',
      handler: async ({ caller, params, query }) => schemas.getSchema(caller, params.id, { full: query.full === true }),
    }),
    route({
      method: 'patch', path: '/v1/schemas/:id', permission: 'schemas.write', tag: 'schemas', body: 'schema-update',
      errors: [409, 422],
      summary: 'Change title, description or field groups; once enabled for profile only additive changes (422 additive-only)',
      handler: async ({ caller, params, body }) => schemas.updateSchema(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/schemas/:id', permission: 'schemas.write', tag: 'schemas',
      errors: [409],
      summary: 'Delete a schema; refused (409) once enabled for profile, because datasets and profiles depend on it',
      handler: async ({ caller, params }) => schemas.deleteSchema(caller, params.id),
    }),
    route({
      method: 'get', path: '/v1/schemas/:id/fields', permission: 'schemas.read', tag: 'schemas',
      summary: 'Leaf fields of the schema: dot path, type, format, meta:xdmType, source, system flag and identity',
      handler: async ({ caller, params }) => ({ items: await schemas.leafFields(caller, params.id) }),
    }),
    route({
      method: 'post', path: '/v1/schemas/:id/enable-profile', permission: 'schemas.write', tag: 'schemas', body: 'schema-enable-profile',
      errors: [422],
      summary: 'Enable the schema for profile (one-way; needs exactly one primary identity); afterwards only additive changes',
      handler: async ({ caller, params, body }) => schemas.enableProfile(caller, params.id, body),
    }),

    // ---- identity descriptors
    route({
      method: 'get', path: '/v1/schemas/:id/identities', permission: 'schemas.read', tag: 'schemas',
      summary: 'Identity descriptors of the schema ({ sourceSchema, sourceProperty, namespace, isPrimary })',
      handler: async ({ caller, params }) => ({ items: await schemas.listIdentities(caller, params.id) }),
    }),
    route({
      method: 'post', path: '/v1/schemas/:id/identities', permission: 'schemas.write', tag: 'schemas', body: 'schema-identity-create', status: 201,
      errors: [422],
      summary: 'Mark a string field as an identity of a namespace (prospect schemas: Partner ID only)',
      handler: async ({ caller, params, body }) => schemas.addIdentity(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/schemas/:id/identities/:descriptorId', permission: 'schemas.write', tag: 'schemas',
      errors: [422],
      summary: 'Remove an identity descriptor; refused once the schema is enabled for profile (additive-only)',
      handler: async ({ caller, params }) => schemas.removeIdentity(caller, params.id, params.descriptorId),
    }),
  ];
}
