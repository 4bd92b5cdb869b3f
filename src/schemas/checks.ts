/**
 * Argument checks at the module's entry (the HTTP layer and the CLI share them) and the 422
 * findings they throw, all at once.
 */
import { Duplicate, FieldError, InvalidRequest, ruleError, UnprocessableRequest } from '../core/errors';
import { escapePointer } from '../core/validation';
import { findClass, XDM_CLASSES } from './classes';
import type { IdentityInput } from './types';

const TITLE_MAX = 200;
const DESCRIPTION_MAX = 2000;
export const MAX_FIELD_GROUPS_PER_SCHEMA = 50;
export const MAX_IDENTITIES = 20;

export function throwAll(errors: FieldError[], status: 400 | 422 = 422): void {
  if (errors.length === 0) return;
  const Kind = status === 400 ? InvalidRequest : UnprocessableRequest;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''}, see errors)` : '';
  throw new Kind(errors[0].message + more, { errors });
}

export function checkTitle(value: unknown, pointer = '/title'): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > TITLE_MAX) {
    throw ruleError(pointer, 'title', `title must be a non-blank string of at most ${TITLE_MAX} characters`, 400);
  }
  return value.trim();
}

export function checkDescription(value: unknown, pointer = '/description'): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || value.length > DESCRIPTION_MAX) {
    throw ruleError(pointer, 'description', `description must be a string of at most ${DESCRIPTION_MAX} characters`, 400);
  }
  return value;
}

export function checkIdList(value: unknown, pointer: string, what: string, minItems: number, maxItems: number): string[] {
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
export function definitionPointer(dotPath: string): string {
  return '/' + dotPath.split('.').map(escapePointer).join('/properties/');
}

const SCHEMA_UNIQUE = 'schemas_account_title';
const GROUP_UNIQUE = 'field_groups_account_title';

export function raceToDuplicate(err: unknown, what: string, title: string): unknown {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && (e.constraint === SCHEMA_UNIQUE || e.constraint === GROUP_UNIQUE)) {
    const message = `A ${what} titled "${title}" already exists in this ad account; choose another title`;
    return new Duplicate(message, { errors: [{ pointer: '/title', rule: 'unique', message }] });
  }
  return err;
}

export function checkIntendedClasses(value: unknown): string[] {
  const ids = checkIdList(value, '/intendedToExtend', 'intendedToExtend', 1, XDM_CLASSES.length);
  throwAll(
    ids.flatMap((id, i) =>
      findClass(id) ? [] : [{ pointer: `/intendedToExtend/${i}`, rule: 'class', message: `Class ${id} does not exist; use ${XDM_CLASSES.map((c) => c.id).join(' or ')}` }],
    ),
  );
  return ids;
}

export function checkIdentityShape(input: unknown, at: string): void {
  const v = input as IdentityInput;
  if (!v || typeof v !== 'object') throw ruleError(at, 'type', 'an identity is { fieldPath, namespace, primary }', 400);
  if (typeof v.fieldPath !== 'string' || v.fieldPath === '') throw ruleError(`${at}/fieldPath`, 'required', 'fieldPath (dot path of a string field) is required', 400);
  if (typeof v.namespace !== 'string' || v.namespace === '') throw ruleError(`${at}/namespace`, 'required', 'namespace (id or code) is required', 400);
  if (v.primary !== undefined && typeof v.primary !== 'boolean') throw ruleError(`${at}/primary`, 'type', 'primary must be a boolean', 400);
}
