/**
 * Reading one block of a CSV file into COPY text: what a parse thread does (worker.ts), and what
 * the service does itself when it has no threads. Everything a thread needs arrives as plain data
 * (BlockSpec: column specs with their identity namespaces, the header as the splitter resolved it,
 * the record schema as JSON), so the normalisers and the schema validator are rebuilt here from it.
 */
import { identityNormalizer } from '../../namespaces/identity';
import { compileFieldValidators, RecordValidatorCache, recordErrors, RecordValidator } from '../../schemas/validator';
import { compilePlan, Plan } from '../records/plan';
import type { ColumnPlan, ReadStats, ValidateResult } from '../records/types';
import { fieldSchemas } from './leaves';
import { CopyTranscoder, FastColumn } from './transcode';
import type { BlockResult, BlockSpec, ColumnSpec } from './types';

export type { BlockResult, BlockSpec, ColumnSpec, CopyTarget, SchemaSpec } from './types';

export function columnPlans(specs: readonly ColumnSpec[]): ColumnPlan[] {
  return specs.map(({ identity, ...plan }) => (identity ? { ...plan, normalize: identityNormalizer(identity) } : plan));
}

/** The schema's ajv validator as the reader calls it: errors named by field path, not JSON Pointer. */
export function recordValidate(validate: RecordValidator): (record: Record<string, unknown>) => ValidateResult {
  return (record) => {
    if (validate(record)) return true;
    return {
      errors: recordErrors(validate).map((e) => ({
        field: e.pointer ? e.pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.') : null,
        rule: e.rule,
        message: e.message,
      })),
    };
  };
}

export interface CompiledSpec {
  spec: BlockSpec;
  plan: Plan;
  /** Per column, how the transcoder writes it; null when the schema needs whole records. */
  fast: FastColumn[] | null;
}

/** Validators compiled from schema JSON, shared by the specs of one thread (one compile per schema). */
const validators = new RecordValidatorCache(50);
const fieldChecks = new Map<string, FastColumn[] | null>();

export function compileSpec(spec: BlockSpec): CompiledSpec {
  const validate = spec.schema ? recordValidate(validators.get({ schemaId: spec.schema.hash, version: 0, hash: spec.schema.hash }, () => spec.schema!.json)) : undefined;
  const plan = compilePlan({ ...spec.format, format: 'csv', columns: columnPlans(spec.columns), validate });
  return { spec, plan, fast: fastColumns(spec) };
}

/** The transcoder's view of each column, compiled once per schema and column list. */
function fastColumns(spec: BlockSpec): FastColumn[] | null {
  const key = `${spec.schema?.hash ?? ''}|${spec.columns.map((c) => `${c.path}:${c.type}:${c.identity ? 'i' : ''}`).join(',')}`;
  if (fieldChecks.has(key)) return fieldChecks.get(key)!;
  let fast: FastColumn[] | null = null;
  const schemas = spec.schema ? fieldSchemas(spec.schema.json, spec.columns) : spec.columns.map(() => null);
  if (schemas) {
    const compiled = compileFieldValidators(schemas.filter((x) => x !== null));
    let next = 0;
    fast = spec.columns.map((c, k) => {
      const check = schemas[k] === null ? null : compiled[next++];
      return { raw: c.type === 'string' && !c.identity && check === null, check: check && ((v: unknown) => check(v) as boolean) };
    });
  }
  if (fieldChecks.size >= 50) fieldChecks.delete(fieldChecks.keys().next().value as string);
  fieldChecks.set(key, fast);
  return fast;
}

/** Reads block `bytes` (whole records, rows numbered from `firstRow`; the splitter counted `rows`). */
export function readBlock(c: CompiledSpec, bytes: Buffer, firstRow: number, rows: number): BlockResult {
  const stats: ReadStats = { inputRows: 0, okRows: 0, errorRows: 0, bytesRead: 0, bytesParsed: 0 };
  const transcoder = new CopyTranscoder(c.plan, stats, c.spec.target, c.fast, bytes.length);
  transcoder.readBlock(bytes, c.spec.headerColumns, firstRow);
  // Row numbers are written into the dataset: a block read otherwise than it was cut is a bug, loudly.
  if (stats.inputRows !== rows) throw new Error(`the block of rows from ${firstRow} holds ${stats.inputRows} rows where the splitter counted ${rows}`);
  const text = transcoder.output();
  return { chunks: text.length > 0 ? [text] : [], errors: transcoder.errors, input: stats.inputRows, ok: stats.okRows, failed: stats.errorRows };
}
