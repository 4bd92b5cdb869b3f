/**
 * Request-body and query validation with ajv against the JSON Schemas in `schemas/`.
 * Each file there has an `$id` equal to its file name without `.json`; routes name that id.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020, { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { FieldError, FieldErrorParams, InvalidRequest } from './errors';
import { projectRoot } from './root';

export { projectRoot } from './root';

function newAjv(coerceTypes: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, coerceTypes, useDefaults: true });
  addFormats(ajv);
  return ajv;
}

export class RequestValidator {
  private readonly bodies = newAjv(false);
  private readonly queries = newAjv(true);
  readonly documents = new Map<string, Record<string, unknown>>();

  constructor(dir: string = path.join(projectRoot(), 'schemas')) {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
      const doc = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
      const id = path.basename(file, '.json');
      if (doc.$id !== id) throw new Error(`schemas/${file}: $id must be "${id}"`);
      this.documents.set(id, doc);
      this.bodies.addSchema(doc);
      this.queries.addSchema(doc);
    }
  }

  /**
   * Validates (and fills defaults into) `value`; throws InvalidRequest naming every failing field.
   * `pointerPrefix` places the errors when `value` is a part of the body (e.g. `/settings`).
   */
  check(schemaId: string, value: unknown, where: 'body' | 'query', pointerPrefix = ''): void {
    const ajv = where === 'body' ? this.bodies : this.queries;
    const validate: ValidateFunction | undefined = ajv.getSchema(schemaId);
    if (!validate) throw new Error(`no request schema "${schemaId}" in schemas/`);
    if (!validate(value)) {
      const errors = toFieldErrors(validate.errors ?? [], (where === 'query' ? '/query' : '') + pointerPrefix);
      throw new InvalidRequest(
        `${where === 'body' ? 'Request body' : 'Query'} does not match ${schemaId}: ${errors.map((e) => `${e.pointer || '/'} ${e.message}`).join('; ')}`,
        { errors },
      );
    }
  }
}

export function toFieldErrors(errors: ErrorObject[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let pointer = prefix + e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      pointer += `/${escapePointer(String(e.params.missingProperty))}`;
      message = 'is required';
    } else if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
      const prop = String(e.params.additionalProperty ?? e.params.unevaluatedProperty);
      pointer += `/${escapePointer(prop)}`;
      message = 'is not a known property';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const key = `${pointer}|${e.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const params = ruleParams(e);
    out.push({ pointer, rule: e.keyword, message, ...(params ? { params } : {}) });
  }
  return out;
}

/** ajv's figures a client needs to word the finding itself: limits, allowed values, the format or type. */
function ruleParams(e: ErrorObject): FieldErrorParams | undefined {
  const p = e.params as Record<string, unknown>;
  if (typeof p.limit === 'number') return { limit: p.limit };
  if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) {
    return { allowedValues: (p.allowedValues as unknown[]).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number') };
  }
  if (e.keyword === 'format' && typeof p.format === 'string') return { format: p.format };
  if (e.keyword === 'type' && p.type !== undefined) return { type: Array.isArray(p.type) ? (p.type as string[]) : String(p.type) };
  return undefined;
}

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

let shared: RequestValidator | undefined;

/** The request schemas, for services that validate a merged value (e.g. settings after a PATCH). */
export function requestSchemas(): RequestValidator {
  return (shared ??= new RequestValidator());
}
