/**
 * Record validation: one ajv validate function per composed schema version, compiled once and kept
 * in a small LRU, because ingestion validates every row and compiling costs milliseconds.
 */
import { createHash } from 'node:crypto';
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { FieldError } from '../core/errors';
import { toFieldErrors } from '../core/validation';

export type RecordValidator = ValidateFunction<Record<string, unknown>>;

/** Stable hash of a record schema (key order included: composition is deterministic). */
export function schemaHash(schema: unknown): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 32);
}

/**
 * Compiles with its own ajv instance: the function keeps only what it needs, and dropping it from
 * the cache frees everything (a shared instance would keep every compiled schema forever).
 */
export function compileRecordValidator(schema: Record<string, unknown>): RecordValidator {
  return newAjv().compile(schema) as RecordValidator;
}

/** Validators of single fields' schemas (parts of a record schema), with the record validator's options. */
export function compileFieldValidators(schemas: readonly Record<string, unknown>[]): ValidateFunction[] {
  const ajv = newAjv();
  return schemas.map((s) => ajv.compile(s));
}

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: true });
  addFormats(ajv);
  return ajv;
}

/** The last run's findings as pointers into the record. */
export function recordErrors(validate: ValidateFunction): FieldError[] {
  return toFieldErrors(validate.errors ?? []);
}

export interface ValidatorKey {
  schemaId: string;
  version: number;
  /** Hash of the record schema, so a change of a used field group yields a new function too. */
  hash: string;
}

/** Least-recently-used map of compiled validators. */
export class RecordValidatorCache {
  private readonly entries = new Map<string, RecordValidator>();
  compilations = 0;

  constructor(private readonly capacity = 200) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: ValidatorKey, schema: () => Record<string, unknown>): RecordValidator {
    const k = `${key.schemaId}@${key.version}#${key.hash}`;
    const hit = this.entries.get(k);
    if (hit) {
      this.entries.delete(k); // re-insert: Map order is the recency order
      this.entries.set(k, hit);
      return hit;
    }
    const fn = compileRecordValidator(schema());
    this.compilations++;
    // Older versions of the same schema will not be asked for again.
    for (const old of [...this.entries.keys()]) if (old.startsWith(`${key.schemaId}@`)) this.entries.delete(old);
    this.entries.set(k, fn);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return fn;
  }

  /** Forgets every version of a schema (after it is deleted). */
  forget(schemaId: string): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(`${schemaId}@`)) this.entries.delete(k);
  }
}
