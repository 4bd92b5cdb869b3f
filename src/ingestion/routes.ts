import { Transform } from 'node:stream';
import { sendCsvDownload, sendDownload } from '../http/download';
import { CSV_TYPES, GZIP_TYPES, JSON_LINES_TYPES, UNLABELLED_TYPES } from '../http/media-types';
import { ruleError } from '../core/errors';
import { escapePointer } from '../core/validation';
import { route, RouteSpec } from '../http/route';
import type { BatchOptions, BatchService } from './service';

/** A batch file is CSV or JSON lines, either optionally gzip. */
const FILE_TYPES = [...CSV_TYPES, ...JSON_LINES_TYPES, ...GZIP_TYPES, ...UNLABELLED_TYPES];

function optionsFrom(input: Record<string, unknown>): BatchOptions {
  const { format, delimiter, quote, compression, multiValueSeparator, mapping, errorThreshold } = input as BatchOptions & Record<string, unknown>;
  return { format, delimiter, quote, compression, multiValueSeparator, mapping, errorThreshold };
}

/**
 * The query's `mapping`: `mapping[header]=path` (deepObject, parsed by the query parser) or
 * `mapping={"header":"path"}` (JSON text: headers with brackets or dots, and more than the query
 * parser's 1,000 parameters).
 */
export function queryMapping(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'string') return value as Record<string, string> | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw ruleError('/query/mapping', 'json', `mapping is not valid JSON (${(err as Error).message}); send mapping={"header":"field.path",…} URL-encoded, or mapping[header]=field.path`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw ruleError('/query/mapping', 'object', 'mapping must be a JSON object of header → field path, e.g. {"PID":"partnerID"}');
  }
  const entries = Object.entries(parsed);
  if (entries.length > MAX_MAPPING_ENTRIES) throw ruleError('/query/mapping', 'maxProperties', `mapping may hold at most ${MAX_MAPPING_ENTRIES} columns`);
  for (const [header, path] of entries) {
    if (typeof path !== 'string' || path.length > 500) {
      throw ruleError(`/query/mapping/${escapePointer(header)}`, 'type', `the mapping of ${JSON.stringify(header)} must be a field path (a string of at most 500 characters), or "" to ignore the column`);
    }
  }
  return parsed as Record<string, string>;
}

const MAX_MAPPING_ENTRIES = 2000;

export function batchRoutes(batches: BatchService): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/v1/datasets/:id/batches', permission: 'datasets.write', tag: 'ingestion', body: 'batch-create', status: 201, errors: [422],
      summary: 'Create a batch (file format, column mapping, error threshold); then upload files and complete it',
      handler: async ({ caller, params, body }) => batches.create(caller, params.id, optionsFrom(body)),
    }),
    route({
      method: 'get', path: '/v1/datasets/:id/batches', permission: 'datasets.read', tag: 'ingestion', query: 'batch-list-query',
      summary: 'Batches of a dataset, newest first, with status and counts',
      handler: async ({ caller, params, query }) => batches.list(caller, params.id, query),
    }),
    route({
      method: 'post', path: '/v1/datasets/:id/data', permission: 'datasets.write', tag: 'ingestion', query: 'data-upload-query', rawBody: FILE_TYPES, status: 201, errors: [409, 422],
      summary: 'Add data in one step: the request body is one CSV or JSON-lines file (optionally gzip), streamed into a new batch that is completed at once',
      handler: async ({ caller, params, query, req }) => {
        let options: BatchOptions;
        try {
          options = optionsFrom({ ...query, mapping: queryMapping(query.mapping) });
        } catch (err) {
          req.resume();
          throw err;
        }
        return batches.addData(caller, params.id, options, String(query.fileName), req);
      },
    }),
    route({
      method: 'get', path: '/v1/batches/:id', permission: 'datasets.read', tag: 'ingestion',
      summary: 'One batch: status, counts (input, output, failed), files and failure reason',
      handler: async ({ caller, params }) => batches.get(caller, params.id),
    }),
    route({
      method: 'put', path: '/v1/batches/:id/files/:fileName', permission: 'datasets.write', tag: 'ingestion', rawBody: FILE_TYPES, errors: [409],
      summary: 'Upload one file into a loading batch; the body is streamed, never held whole',
      handler: async ({ caller, params, req }) => batches.uploadFile(caller, params.id, params.fileName, req),
    }),
    route({
      method: 'post', path: '/v1/batches/:id/complete', permission: 'datasets.write', tag: 'ingestion', errors: [409, 422],
      summary: 'Complete a batch: fail it above the error threshold, otherwise make all its rows visible at once',
      handler: async ({ caller, params }) => batches.complete(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/batches/:id/abort', permission: 'datasets.write', tag: 'ingestion', errors: [409],
      summary: 'Abort a loading batch; nothing of it becomes visible',
      handler: async ({ caller, params }) => batches.abort(caller, params.id),
    }),
    route({
      method: 'delete', path: '/v1/batches/:id', permission: 'datasets.write', tag: 'ingestion', errors: [409],
      summary: 'Delete a batch: remove the records it contributed (earlier values come back)',
      handler: async ({ caller, params }) => batches.delete(caller, params.id),
    }),
    route({
      method: 'get', path: '/v1/batches/:id/errors', permission: 'datasets.read', tag: 'ingestion', query: 'batch-errors-query', produces: 'text/csv',
      summary: 'Row errors of a batch (file, row, field, rule, message, raw value) as CSV or JSON',
      handler: async ({ caller, params, query, res }) => {
        const rows = await batches.errorRows(caller, params.id);
        const base = `${params.id}_errors`;
        if (query.format === 'json') {
          let first = true;
          const toJson = new Transform({
            writableObjectMode: true,
            transform(row, _enc, cb) {
              cb(null, (first ? '[' : ',') + JSON.stringify({ ...row, row: Number(row.row) }));
              first = false;
            },
            flush(cb) {
              cb(null, first ? '[]' : ']');
            },
          });
          return sendDownload(res, { fileName: `${base}.json`, contentType: 'application/json', rows, encoder: toJson });
        }
        return sendCsvDownload(res, `${base}.csv`, ['file', 'row', 'field', 'rule', 'message', 'rawValue'], rows);
      },
    }),
  ];
}
