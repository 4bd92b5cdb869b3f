/** Identity descriptors: which string fields of a schema are identities, in which namespace, and the one primary. */
import { FieldError, isCdpError, NotFound, ruleError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { escapePointer } from '../core/validation';
import type { Namespace } from '../namespaces/types';
import type { XdmClass } from './classes';
import { describeField, fieldAt, schemaUri, type Composition } from './compose';
import { checkIdentityShape, throwAll } from './checks';
import { bump, descriptorsOf, findRow, loadRow } from './rows';
import type { DescriptorRow, IdentityDescriptor, IdentityInput, Loaded, SchemaContext } from './types';

export async function listIdentities(ctx: SchemaContext, caller: Caller, schemaId: string): Promise<IdentityDescriptor[]> {
  const row = await findRow(ctx.db, caller, schemaId);
  const descriptors = await descriptorsOf(ctx.db, caller, row.id);
  return describeDescriptors(ctx, caller, row.id, descriptors);
}

/** Marks a string field as an identity; a primary one may not be added once enabled for profile. */
export async function addIdentity(ctx: SchemaContext, caller: Caller, schemaId: string, input: IdentityInput): Promise<IdentityDescriptor> {
  checkIdentityShape(input, '');
  return ctx.db.transaction(async (tx) => {
    const row = await findRow(tx, caller, schemaId, true);
    const loaded = await loadRow(tx, caller, row);
    if (row.profile_enabled && input.primary === true) {
      throw ruleError('/primary', 'additive-only', `Schema "${row.title}" is enabled for profile: its primary identity cannot change. Add the field as a secondary identity (primary: false)`);
    }
    const [r] = await checkIdentities(ctx, caller, loaded.cls, loaded.composition, loaded.descriptors, [input], () => '', true);
    const [d] = await tx<DescriptorRow>('identity_descriptors')
      .insert({ id: newId('idd'), ad_account_id: caller.adAccountId, schema_id: row.id, field_path: r.fieldPath, namespace_id: r.namespace.id, is_primary: r.primary })
      .returning('*');
    const created = toDescriptor(d, row.id, r.namespace);
    await ctx.audit.record(tx, caller, { action: 'create', resourceType: 'identity_descriptor', resourceId: d.id, after: created });
    await bump(ctx, tx, caller, row);
    return created;
  });
}

/** Refused once enabled for profile (removing is not additive). */
export async function removeIdentity(ctx: SchemaContext, caller: Caller, schemaId: string, descriptorId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const row = await findRow(tx, caller, schemaId, true);
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
    const [ns] = await describeDescriptors(ctx, caller, row.id, [d]);
    await tx('identity_descriptors').where({ id: d.id }).delete();
    await ctx.audit.record(tx, caller, { action: 'delete', resourceType: 'identity_descriptor', resourceId: d.id, before: ns });
    await bump(ctx, tx, caller, row);
  });
}

export async function describeDescriptors(ctx: SchemaContext, caller: Caller, schemaId: string, rows: readonly DescriptorRow[]): Promise<IdentityDescriptor[]> {
  const cache = new Map<string, Namespace>();
  const out: IdentityDescriptor[] = [];
  for (const d of rows) {
    let ns = cache.get(d.namespace_id);
    if (!ns) {
      ns = await ctx.namespaces.get(caller, d.namespace_id);
      cache.set(d.namespace_id, ns);
    }
    out.push(toDescriptor(d, schemaId, ns));
  }
  return out;
}

/** Descriptors whose field is gone or no longer a string after a change of field groups. */
export function identityFieldErrors(loaded: Loaded, pointer: string, what: string): FieldError[] {
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
export async function checkIdentities(
  ctx: SchemaContext,
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
      namespace = await ctx.namespaces.get(caller, input.namespace);
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

export function toDescriptor(d: DescriptorRow, schemaId: string, ns: Namespace): IdentityDescriptor {
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
