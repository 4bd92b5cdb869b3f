/** The dataflow being built by the wizard, and the request body it becomes. */
import type { components } from '../../../api/schema';
import type { Frequency, RemoteFile } from '../types';

export interface Preview {
  fileName: string;
  columns: string[];
  rows: string[][];
}

export interface Draft {
  connectionId: string | null;
  folder: string;
  picked: RemoteFile | null;
  pattern: string;
  format: 'csv' | 'jsonl';
  preview: Preview | null;
  /** Columns typed by hand, beside (or without) the preview's. */
  extraColumns: string[];
  datasetId: string | null;
  /** column → field path; '' ignores the column. */
  mapping: Record<string, string>;
  frequency: Frequency;
  interval: number;
  /** <input type="datetime-local"> value; '' = when the dataflow is created. */
  startAt: string;
  backfill: boolean;
  errorThreshold: number;
  name: string;
}

export const EMPTY_DRAFT: Draft = {
  connectionId: null,
  folder: '/',
  picked: null,
  pattern: '*.csv',
  format: 'csv',
  preview: null,
  extraColumns: [],
  datasetId: null,
  mapping: {},
  frequency: 'day',
  interval: 1,
  startAt: '',
  backfill: true,
  errorThreshold: 5,
  name: '',
};

export type Create = components['schemas']['dataflow-create'];

export function columnsOf(d: Draft): string[] {
  return [...new Set([...(d.preview?.columns ?? []), ...d.extraColumns])];
}

export function toBody(d: Draft): Create {
  const columns = columnsOf(d);
  const mapping = Object.fromEntries(columns.map((c) => [c, d.mapping[c] ?? '']));
  return {
    name: d.name,
    connectionId: d.connectionId ?? '',
    datasetId: d.datasetId ?? '',
    folder: d.folder,
    pattern: d.pattern || '*',
    format: { format: d.format },
    ...(columns.length > 0 ? { mapping } : {}),
    errorThreshold: d.errorThreshold,
    schedule: {
      frequency: d.frequency,
      interval: d.frequency === 'once' ? 1 : d.interval,
      ...(d.startAt ? { startAt: new Date(d.startAt).toISOString() } : {}),
    },
    backfill: d.backfill,
    enabled: true,
  };
}

/** Which wizard step holds the field an API problem points at. */
export function stepOfPointer(pointer: string): number {
  if (/^\/(connectionId|folder|pattern|format)/.test(pointer)) return 0;
  if (/^\/(datasetId|mapping)/.test(pointer)) return 1;
  if (/^\/(schedule|backfill|errorThreshold|enabled)/.test(pointer)) return 2;
  return 3;
}
