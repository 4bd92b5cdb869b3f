/**
 * One plan per batch load: what streaming a file into a batch needs — the dataset's storage, the
 * columns the batch stages, how the reader parses each (type, XDM range, identity normaliser, the
 * required primary identity) and the schema's record validator. Made once per upload: addData
 * hands the plan from the batch's creation to its file and its merge.
 */
import type { DatasetStorage } from '../datasets/service';
import { StoredColumn, XDM_INTEGER_RANGES } from '../datasets/storage';
import { identityNormalizer } from '../namespaces/identity';
import type { NamespaceType } from '../namespaces/service';
import { RecordValidator, recordErrors } from '../schemas/validator';
import type { ColumnPlan, ValidateResult } from './records';

export interface LoadPlan {
  storage: DatasetStorage;
  /** The loadable columns the batch stages (as of its creation), in COPY order. */
  columns: StoredColumn[];
  /** Per column, how the reader parses it. */
  plans: ColumnPlan[];
  /** COPY value kinds of a staged row: file index, row number, identity, then the columns. */
  kinds: StoredColumn['kind'][];
  /** Index of the primary identity among `columns` (its value is staged twice: as the identity too). */
  identityIndex: number;
  validate: (record: Record<string, unknown>) => ValidateResult;
}

/** `stagingColumns`: the column names the batch recorded when it was created. */
export function loadPlan(storage: DatasetStorage, stagingColumns: readonly string[], validator: RecordValidator): LoadPlan {
  const staged = new Set(stagingColumns);
  const columns = storage.columns.filter((c) => !c.system && staged.has(c.columnName));
  const identityIndex = columns.findIndex((c) => c.columnName === storage.primaryColumn);
  if (identityIndex < 0) throw new Error(`dataset ${storage.dataset.id}: its primary identity column is not staged`);
  return {
    identityIndex,
    storage,
    columns,
    plans: columnPlans(storage, columns),
    kinds: ['integer', 'integer', 'string', ...columns.map((c) => c.kind)],
    validate: recordValidate(validator),
  };
}

function columnPlans(storage: DatasetStorage, columns: readonly StoredColumn[]): ColumnPlan[] {
  const fields = new Map(storage.fields.map((f) => [f.path, f]));
  return columns.map((c) => {
    const field = fields.get(c.fieldPath);
    const range = field && field.type === 'integer' ? XDM_INTEGER_RANGES[field.xdmType] : undefined;
    const plan: ColumnPlan = { path: c.fieldPath, type: c.kind };
    if (range) {
      plan.minimum = range[0];
      plan.maximum = range[1];
    }
    if (field?.identity) {
      plan.normalize = identityNormalizer({ code: field.identity.namespace, type: field.identity.namespaceType as NamespaceType });
    }
    if (c.fieldPath === storage.dataset.primary_field) plan.required = true;
    return plan;
  });
}

/** The schema's ajv validator as the reader calls it: errors named by field path, not JSON Pointer. */
function recordValidate(validate: RecordValidator): (record: Record<string, unknown>) => ValidateResult {
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
