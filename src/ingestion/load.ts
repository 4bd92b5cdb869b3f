/**
 * One plan per batch load: what streaming a file into a batch needs — the dataset's storage, the
 * columns the batch stages, how the reader parses each (type, XDM range, identity normaliser, the
 * required primary identity) and the schema's record validator. Made once per upload: addData
 * hands the plan from the batch's creation to its file and its merge.
 */
import type { DatasetStorage } from '../datasets/service';
import { StoredColumn, XDM_INTEGER_RANGES } from '../datasets/storage';
import type { NamespaceType } from '../namespaces/types';
import { RecordValidator, schemaHash } from '../schemas/validator';
import { ColumnSpec, recordValidate, SchemaSpec } from './parse/block';
import type { ValidateResult } from './records';

export interface LoadPlan {
  storage: DatasetStorage;
  /** The loadable columns the batch stages (as of its creation), in COPY order. */
  columns: StoredColumn[];
  /** Per column, how the reader parses it (as data: parse threads rebuild the normalisers). */
  specs: ColumnSpec[];
  /** COPY value kinds of the columns (the file index, row and identity come before them). */
  kinds: StoredColumn['kind'][];
  /** Index of the primary identity among `columns` (its value is staged twice: as the identity too). */
  identityIndex: number;
  /** The schema's record validator, as JSON for parse threads and as a function for the event loop. */
  schema: SchemaSpec;
  validate: (record: Record<string, unknown>) => ValidateResult;
}

/** Validators are cached per schema version (SchemaService): so is the hash of their schema. */
const hashes = new WeakMap<RecordValidator, string>();

/** `stagingColumns`: the column names the batch recorded when it was created. */
export function loadPlan(storage: DatasetStorage, stagingColumns: readonly string[], validator: RecordValidator): LoadPlan {
  const staged = new Set(stagingColumns);
  const columns = storage.columns.filter((c) => !c.system && staged.has(c.columnName));
  const identityIndex = columns.findIndex((c) => c.columnName === storage.primaryColumn);
  if (identityIndex < 0) throw new Error(`dataset ${storage.dataset.id}: its primary identity column is not staged`);
  const json = validator.schema as Record<string, unknown>;
  let hash = hashes.get(validator);
  if (!hash) hashes.set(validator, (hash = schemaHash(json)));
  return {
    identityIndex,
    storage,
    columns,
    specs: columnSpecs(storage, columns),
    kinds: columns.map((c) => c.kind),
    schema: { hash, json },
    validate: recordValidate(validator),
  };
}

function columnSpecs(storage: DatasetStorage, columns: readonly StoredColumn[]): ColumnSpec[] {
  const fields = new Map(storage.fields.map((f) => [f.path, f]));
  return columns.map((c) => {
    const field = fields.get(c.fieldPath);
    const range = field && field.type === 'integer' ? XDM_INTEGER_RANGES[field.xdmType] : undefined;
    const spec: ColumnSpec = { path: c.fieldPath, type: c.kind };
    if (range) {
      spec.minimum = range[0];
      spec.maximum = range[1];
    }
    if (field?.identity) spec.identity = { code: field.identity.namespace, type: field.identity.namespaceType as NamespaceType };
    if (c.fieldPath === storage.dataset.primary_field) spec.required = true;
    return spec;
  });
}
