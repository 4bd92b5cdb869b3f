/**
 * Pure composition of XDM-like schemas: checking custom field definitions against the meta-schema
 * (schemas/xdm-field-definitions.json), merging a class with field groups, listing leaf fields,
 * building the documents the API returns and the JSON Schema records are validated with.
 */
import fs from 'node:fs';
import path from 'node:path';
import traverse from '@json-schema-tools/traverse';
import Ajv2020, { ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { FieldError, InvalidRequest, UnprocessableRequest } from '../core/errors';
import { escapePointer, projectRoot, toFieldErrors } from '../core/validation';

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
export type IntegerXdmType = 'long' | 'int' | 'short' | 'byte';

/** One field as JSON Schema with the `meta:` keywords we use. */
export interface FieldDefinition {
  type: FieldType;
  title?: string;
  description?: string;
  'meta:xdmType'?: string;
  /** Filled by the platform (`_repo.*`, batch ids); set only by classes. */
  'meta:system'?: boolean;
  format?: string;
  enum?: string[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: FieldDefinition;
  minItems?: number;
  maxItems?: number;
  properties?: Properties;
}

/** A JSON Schema `properties` object: field name → field. */
export type Properties = Record<string, FieldDefinition>;

/**
 * XDM integer ranges as Adobe documents them (anchors §2). Adobe gives ±2^31, ±2^15 and ±2^7 as the
 * bounds of Integer, Short and Byte (one wider than the machine types); we keep Adobe's numbers so
 * data accepted there is accepted here.
 */
export const XDM_INTEGER_RANGES: Record<IntegerXdmType, { minimum: number; maximum: number }> = {
  long: { minimum: -9007199254740991, maximum: 9007199254740991 },
  int: { minimum: -2147483648, maximum: 2147483648 },
  short: { minimum: -32768, maximum: 32768 },
  byte: { minimum: -128, maximum: 128 },
};

/** Deepest dot path a field may have (`a.b.c.d.e.f`). */
export const MAX_FIELD_DEPTH = 6;
/** Leaf fields per custom field group. */
export const MAX_GROUP_FIELDS = 500;
export const FIELD_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const ANNOTATIONS = new Set(['title', 'description']);

// ---- custom field definitions ----------------------------------------------------------------

let metaValidator: ReturnType<Ajv2020['compile']> | undefined;

function metaSchema(): ReturnType<Ajv2020['compile']> {
  if (!metaValidator) {
    const file = path.join(projectRoot(), 'schemas', 'xdm-field-definitions.json');
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    metaValidator = ajv.compile(JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  return metaValidator;
}

const ALLOWED_KEYWORDS: Record<string, string> = {
  string: 'type, title, description, meta:xdmType, format, enum, minLength, maxLength',
  number: 'type, title, description, meta:xdmType, minimum, maximum',
  integer: 'type, title, description, meta:xdmType, minimum, maximum',
  boolean: 'type, title, description, meta:xdmType',
  array: 'type, title, description, meta:xdmType, items, minItems, maxItems',
  object: 'type, title, description, meta:xdmType, properties',
};

function valueAt(root: unknown, instancePath: string): unknown {
  let node = root;
  for (const part of instancePath.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

/** ajv findings of the meta-schema, as pointers into the request with messages a person can act on. */
function metaErrors(errors: ErrorObject[], definition: unknown, pointer: string): FieldError[] {
  const kept = errors.filter((e) => e.keyword !== 'if' && (e as { propertyName?: string }).propertyName === undefined);
  const out: FieldError[] = [];
  for (const e of kept) {
    if (e.keyword === 'propertyNames') {
      const name = String(e.params.propertyName);
      out.push({
        pointer: `${pointer}${e.instancePath}/${escapePointer(name)}`,
        rule: 'field-name',
        message: `Field name "${name}" is not allowed: use letters, digits and _ (not starting with a digit), at most 64 characters`,
      });
      continue;
    }
    const [fe] = toFieldErrors([e], pointer);
    if (e.keyword === 'additionalProperties') {
      const node = valueAt(definition, e.instancePath) as { type?: string };
      const allowed = ALLOWED_KEYWORDS[node?.type ?? ''];
      fe.message = `"${String(e.params.additionalProperty)}" is not allowed on a ${node?.type} field${allowed ? `; allowed: ${allowed}` : ''}`;
    } else if (e.keyword === 'required' && e.params.missingProperty === 'properties') {
      fe.message = 'an object field needs "properties" (its fields)';
    } else if (e.keyword === 'required' && e.params.missingProperty === 'items') {
      fe.message = 'an array field needs "items" (a string, number, integer or boolean field)';
    } else if (e.keyword === 'minProperties') {
      fe.message = 'must define at least one field';
    } else if (e.keyword === 'enum' && e.instancePath.endsWith('/type') && e.instancePath.split('/').at(-2) === 'items') {
      fe.message = 'array items must be string, number, integer or boolean (arrays of objects are not supported)';
    }
    out.push(fe);
  }
  const seen = new Set<string>();
  return out.filter((f) => {
    const key = `${f.pointer}|${f.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Checks a custom field group's `definition` (a `properties` object) against the meta-schema and the
 * rules JSON Schema cannot say (depth, min ≤ max, format vs meta:xdmType). Returns it with
 * `meta:xdmType` filled in on every field. Shape errors → 400, rule errors → 422.
 */
export function checkFieldDefinitions(definition: unknown, pointer = '/definition'): Properties {
  const validate = metaSchema();
  if (!validate(definition)) {
    const errors = metaErrors(validate.errors ?? [], definition, pointer);
    throw new InvalidRequest(`The field definition is not valid: ${errors.map((e) => `${e.pointer} ${e.message}`).join('; ')}`, { errors });
  }
  const errors: FieldError[] = [];
  let leaves = 0;
  const walk = (props: Properties, at: string, depth: number, out: Properties) => {
    for (const [name, def] of Object.entries(props)) {
      const p = `${at}/${escapePointer(name)}`;
      if (depth > MAX_FIELD_DEPTH) {
        errors.push({ pointer: p, rule: 'depth', message: `Fields may nest at most ${MAX_FIELD_DEPTH} levels deep; flatten this object` });
        continue;
      }
      if (def.type === 'object') {
        const inner: Properties = {};
        walk(def.properties!, `${p}/properties`, depth + 1, inner);
        out[name] = { ...def, 'meta:xdmType': 'object', properties: inner };
      } else {
        leaves++;
        out[name] = normalizeLeaf(def, p, errors);
      }
    }
  };
  const normalized: Properties = {};
  walk(definition as Properties, pointer, 1, normalized);
  if (leaves > MAX_GROUP_FIELDS) {
    errors.push({ pointer, rule: 'maxFields', message: `A field group may have at most ${MAX_GROUP_FIELDS} leaf fields; split it into several groups` });
  }
  if (errors.length) throw new UnprocessableRequest(errors.map((e) => `${e.pointer}: ${e.message}`).join('; '), { errors });
  return normalized;
}

function normalizeLeaf(def: FieldDefinition, p: string, errors: FieldError[]): FieldDefinition {
  const out: FieldDefinition = { ...def };
  const range = (lo: keyof FieldDefinition, hi: keyof FieldDefinition) => {
    const a = def[lo] as number | undefined;
    const b = def[hi] as number | undefined;
    if (a !== undefined && b !== undefined && a > b) {
      errors.push({ pointer: `${p}/${String(lo)}`, rule: 'range', message: `${String(lo)} (${a}) is greater than ${String(hi)} (${b})` });
    }
  };
  switch (def.type) {
    case 'string': {
      range('minLength', 'maxLength');
      const byFormat = def.format === 'date' || def.format === 'date-time' ? def.format : 'string';
      const given = def['meta:xdmType'];
      if (given === undefined) {
        out['meta:xdmType'] = byFormat;
      } else if ((given === 'date' || given === 'date-time') && def.format === undefined) {
        out.format = given; // XDM Date / DateTime are strings of that format
      } else if (given !== byFormat) {
        errors.push({
          pointer: `${p}/meta:xdmType`,
          rule: 'xdmType',
          message: `meta:xdmType "${given}" does not fit format ${def.format ?? '(none)'}; use "${byFormat}" or drop meta:xdmType`,
        });
      }
      break;
    }
    case 'number':
      range('minimum', 'maximum');
      out['meta:xdmType'] = 'number';
      break;
    case 'integer':
      range('minimum', 'maximum');
      out['meta:xdmType'] = def['meta:xdmType'] ?? 'long';
      break;
    case 'boolean':
      out['meta:xdmType'] = 'boolean';
      break;
    case 'array':
      range('minItems', 'maxItems');
      out['meta:xdmType'] = 'array';
      out.items = normalizeLeaf(def.items!, `${p}/items`, errors);
      break;
    default:
      break;
  }
  return out;
}

// ---- composition ---------------------------------------------------------------------------------

/** A class or field group as a composition input. */
export interface CompositionSource {
  id: string;
  properties: Properties;
}

export interface FieldConflict {
  /** Dot path of the field defined twice. */
  path: string;
  /** Index in the sources of the one that clashed with an earlier source. */
  sourceIndex: number;
  firstSource: string;
  secondSource: string;
  message: string;
}

export interface Composition {
  /** The merged `properties` tree. */
  properties: Properties;
  /** Leaf dot path → id of the class or field group that defined it first. */
  sources: Map<string, string>;
  conflicts: FieldConflict[];
}

/** Type, format, xdmType and constraints; everything but the human annotations. */
function signature(def: FieldDefinition): string {
  const strip = (d: FieldDefinition): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(d).sort()) {
      if (ANNOTATIONS.has(key)) continue;
      const v = d[key as keyof FieldDefinition];
      out[key] = key === 'items' && v ? strip(v as FieldDefinition) : v;
    }
    return out;
  };
  return JSON.stringify(strip(def));
}

export function describeField(def: FieldDefinition): string {
  if (def.type === 'array') return `array of ${def.items ? describeField(def.items) : '?'}`;
  const xdm = def['meta:xdmType'];
  const base = def.format ? `${def.type} (${def.format})` : xdm && xdm !== def.type && def.type === 'integer' ? `integer (${xdm})` : def.type;
  return base;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * Merges the class and field groups in order. Objects defined by several sources merge; a leaf
 * defined twice must be the same (type, format and constraints), otherwise it is a conflict.
 */
export function compose(sources: readonly CompositionSource[]): Composition {
  const properties: Properties = {};
  const origin = new Map<string, string>();
  const conflicts: FieldConflict[] = [];
  const recordLeaves = (def: FieldDefinition, at: string, id: string) => {
    if (def.type === 'object') for (const [k, d] of Object.entries(def.properties ?? {})) recordLeaves(d, `${at}.${k}`, id);
    else origin.set(at, id);
  };
  const objectOrigin = new Map<string, string>();
  const merge = (target: Properties, incoming: Properties, prefix: string, source: CompositionSource, sourceIndex: number) => {
    for (const [name, def] of Object.entries(incoming)) {
      const at = prefix ? `${prefix}.${name}` : name;
      const existing = target[name];
      if (!existing) {
        target[name] = clone(def);
        if (def.type === 'object') markObjects(def, at, source.id);
        recordLeaves(def, at, source.id);
        continue;
      }
      if (existing.type === 'object' && def.type === 'object') {
        merge(existing.properties!, def.properties ?? {}, at, source, sourceIndex);
        continue;
      }
      const first = existing.type === 'object' ? objectOrigin.get(at)! : origin.get(at)!;
      if (existing.type === 'object' || def.type === 'object' || signature(existing) !== signature(def)) {
        const sameType = existing.type !== 'object' && def.type !== 'object' && describeField(existing) === describeField(def);
        conflicts.push({
          path: at,
          sourceIndex,
          firstSource: first,
          secondSource: source.id,
          message: sameType
            ? `Field ${at} is defined by ${first} and by ${source.id} with different constraints (${describeField(existing)}); define it in one field group only`
            : `Field ${at} is ${describeField(existing)} in ${first} but ${describeField(def)} in ${source.id}; rename the field in one of them`,
        });
      }
    }
  };
  const markObjects = (def: FieldDefinition, at: string, id: string) => {
    objectOrigin.set(at, id);
    for (const [k, d] of Object.entries(def.properties ?? {})) if (d.type === 'object') markObjects(d, `${at}.${k}`, id);
  };
  sources.forEach((s, i) => merge(properties, s.properties, '', s, i));
  return { properties, sources: origin, conflicts };
}

// ---- leaf fields ---------------------------------------------------------------------------------

/** One leaf field of a composed schema. */
export interface LeafField {
  /** Dot path, e.g. `person.name.firstName`. */
  path: string;
  /** JSON Schema type of the leaf: string, number, integer, boolean, array. */
  type: string;
  format?: string;
  xdmType: string;
  /** For arrays: the item type (and format). */
  itemType?: string;
  itemFormat?: string;
  /** Allowed values, when the field has an enum. */
  enum?: string[];
  title?: string;
  description?: string;
  /** Class or field group that contributed the field. */
  source: string;
  /** Filled by the platform (`_repo.*`, batch and repository ids): not for audience rules or mappings. */
  system: boolean;
}

/** `$.properties.a.properties.b.items` → `{ path: 'a.b', inItems: true }` */
function fieldPathOf(jsonPath: string): { path: string; inItems: boolean } {
  const segments = jsonPath.replace(/^\$\.?/, '').split('.').filter((s) => s !== '');
  const names: string[] = [];
  let inItems = false;
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === 'properties' && i + 1 < segments.length) names.push(segments[++i]);
    else if (segments[i] === 'items') inItems = true;
  }
  return { path: names.join('.'), inItems };
}

/** Every leaf (non-object field, arrays included) of a properties tree, in document order. */
export function listLeaves(properties: Properties, sources: Map<string, string>, fallbackSource = ''): LeafField[] {
  const leaves: LeafField[] = [];
  traverse(
    { type: 'object', properties } as never,
    (node: unknown, _isCycle: boolean, jsonPath: string) => {
      const def = node as FieldDefinition;
      if (!def || typeof def !== 'object' || def.type === 'object') return node as never;
      const { path: p, inItems } = fieldPathOf(jsonPath);
      if (inItems || p === '') return node as never;
      const leaf: LeafField = {
        path: p,
        type: def.type,
        xdmType: def['meta:xdmType'] ?? def.type,
        source: sources.get(p) ?? fallbackSource,
        system: def['meta:system'] === true,
      };
      if (def.format) leaf.format = def.format;
      if (def.type === 'array' && def.items) {
        leaf.itemType = def.items.type;
        if (def.items.format) leaf.itemFormat = def.items.format;
      }
      if (def.enum) leaf.enum = [...def.enum];
      if (def.title) leaf.title = def.title;
      if (def.description) leaf.description = def.description;
      leaves.push(leaf);
      return node as never;
    },
    { mutable: false },
  );
  return leaves;
}

/** The field at a dot path, or undefined. */
export function fieldAt(properties: Properties, dotPath: string): FieldDefinition | undefined {
  let props: Properties | undefined = properties;
  let def: FieldDefinition | undefined;
  for (const name of dotPath.split('.')) {
    def = props && Object.prototype.hasOwnProperty.call(props, name) ? props[name] : undefined;
    if (!def) return undefined;
    props = def.properties;
  }
  return def;
}

// ---- additive changes ----------------------------------------------------------------------------

/**
 * What a change from `before` to `after` removes or alters: every field of `before` must stay, with
 * the same type, format and constraints (titles and descriptions may change). Returns messages by path.
 */
export function nonAdditiveChanges(before: Properties, after: Properties, prefix = ''): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  for (const [name, old] of Object.entries(before)) {
    const at = prefix ? `${prefix}.${name}` : name;
    const now = Object.prototype.hasOwnProperty.call(after, name) ? after[name] : undefined;
    if (!now) {
      out.push({ path: at, message: `Field ${at} would be removed` });
    } else if (old.type === 'object' && now.type === 'object') {
      out.push(...nonAdditiveChanges(old.properties ?? {}, now.properties ?? {}, at));
    } else if (old.type === 'object' || now.type === 'object' || signature(old) !== signature(now)) {
      out.push({ path: at, message: `Field ${at} would change from ${describeField(old)} to ${describeField(now)}${describeField(old) === describeField(now) ? ' with other constraints' : ''}` });
    }
  }
  return out;
}

// ---- documents -----------------------------------------------------------------------------------

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export function schemaUri(schemaId: string): string {
  return `urn:cdp:schemas:${schemaId}`;
}

/** Removes `meta:` keywords; what is left is plain JSON Schema 2020-12. */
function plain(def: FieldDefinition): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(def)) {
    if (k.startsWith('meta:')) continue;
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Properties).map(([n, d]) => [n, plain(d)]));
    else if (k === 'items') out[k] = plain(v as FieldDefinition);
    else out[k] = v;
  }
  if (def.type === 'object') out.additionalProperties = false;
  if (def.type === 'integer') {
    const range = XDM_INTEGER_RANGES[(def['meta:xdmType'] as IntegerXdmType) ?? 'long'] ?? XDM_INTEGER_RANGES.long;
    out.minimum = Math.max(def.minimum ?? range.minimum, range.minimum);
    out.maximum = Math.min(def.maximum ?? range.maximum, range.maximum);
  }
  return out;
}

/**
 * The JSON Schema one record of the schema must match: unknown fields rejected at every level,
 * integers held to their XDM range, formats checked. No `$id`, so each compile stands alone.
 */
export function recordSchema(properties: Properties): Record<string, unknown> {
  return {
    $schema: JSON_SCHEMA_DIALECT,
    ...plain({ type: 'object', properties }),
  };
}
