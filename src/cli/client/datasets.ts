/**
 * `cdp datasets upload` and `cdp batches errors`: a data engineer's file into a dataset in one
 * step (POST /v1/datasets/{id}/data, streamed), and the rows it refused (GET /v1/batches/{id}/errors).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import type { Batch } from '../../ingestion/types';
import { CliError, EXIT, usageError } from '../exit';
import { answer, refusal, type operations } from './api';
import { connect, interruptible, numberOption } from './context';
import { count, printFields, printJson, say, seconds } from './output';
import { streamUpload } from './upload';

type UploadQuery = operations['postV1DatasetsIdData']['parameters']['query'];
type Format = UploadQuery['format'];

/** From the file name when --format is not given: .jsonl / .ndjson (optionally .gz) are JSON lines. */
export function formatOf(file: string, given?: Format): Format {
  if (given) return given;
  return /\.(jsonl|ndjson)(\.gz)?$/i.test(file) ? 'jsonl' : 'csv';
}

function contentTypeOf(file: string, format: Format): string {
  if (/\.gz$/i.test(file)) return 'application/gzip';
  return format === 'jsonl' ? 'application/x-ndjson' : 'text/csv';
}

/** --mapping is JSON text; checked here so a typo does not wait for the file to be sent. */
function mappingOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw usageError(`--mapping is not valid JSON (${(err as Error).message}); give an object of header → field path, e.g. '{"PID":"partnerID"}'`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw usageError(`--mapping must be a JSON object of header → field path, e.g. '{"PID":"partnerID"}'`);
  return JSON.stringify(parsed);
}

interface UploadOptions {
  dataset: string;
  format?: Format;
  mapping?: string;
  errorThreshold?: string;
  json?: boolean;
}

async function upload(file: string, opts: UploadOptions, version: string): Promise<void> {
  const mapping = mappingOf(opts.mapping);
  const errorThreshold = numberOption(opts.errorThreshold, '--error-threshold', 0, 100);
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const format = formatOf(file, opts.format);
  const { conn, userAgent } = connect(version);
  const query: UploadQuery = { format, fileName: path.basename(file), ...(mapping ? { mapping } : {}), ...(errorThreshold !== undefined ? { errorThreshold } : {}) };
  // Not through openapi-fetch: its fetch cannot report how far a streamed body got.
  const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const url = `${conn.url}/v1/datasets/${encodeURIComponent(opts.dataset)}/data?${search}`;
  const ctrlC = interruptible();
  let answered;
  try {
    answered = await streamUpload({
      url,
      headers: { Authorization: `Bearer ${conn.apiKey}`, 'User-Agent': userAgent, 'Content-Type': contentTypeOf(file, format) },
      file,
      size,
      headerLines: format === 'csv' ? 1 : 0,
      countRows: !/\.gz$/i.test(file),
      signal: ctrlC.signal,
    });
  } finally {
    ctrlC.done();
  }
  if (answered.status < 200 || answered.status >= 300) throw refusal(answered.status, answered.body, conn.keySource);
  const batch = answered.body as Batch;
  say(`… batch ${batch.id} ${batch.status} after ${seconds(answered.elapsedMs)}`);
  if (opts.json) printJson(batch);
  else {
    printFields([
      ['batch', batch.id],
      ['status', batch.status],
      ['input', batch.counts.input],
      ['output', batch.counts.output],
      ['failed', batch.counts.failed],
    ]);
  }
  if (batch.counts.failed > 0) say(`${count(batch.counts.failed)} rows refused: cdp batches errors ${batch.id}`);
  if (batch.status === 'failed') throw new CliError(`batch ${batch.id} failed: ${batch.failureReason ?? 'no reason given'}`, EXIT.failed);
}

async function errors(batchId: string, opts: { format: 'csv' | 'json' }, version: string): Promise<void> {
  const { conn, api } = connect(version);
  const body = await answer<ReadableStream<Uint8Array> | undefined>(
    conn,
    api.GET('/v1/batches/{id}/errors', { params: { path: { id: batchId }, query: { format: opts.format } }, parseAs: 'stream' }),
  );
  if (!body) return;
  try {
    await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>), process.stdout);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return; // the reader stopped early (| head)
    throw new CliError(`the download of ${batchId}'s row errors was cut off (${(err as Error).message})`, EXIT.unreachable);
  }
}

export function addDatasetCommands(program: Command, version: string): void {
  const datasets = program.command('datasets').description('datasets of a running service');
  datasets
    .command('upload')
    .description('stream a CSV or JSON-lines file (optionally gzip) into a dataset as one batch; prints its input / output / failed counts, exits 1 when the batch failed')
    .argument('<file>', 'the file to load')
    .requiredOption('--dataset <id>', 'dataset id (ds_…)')
    .addOption(new Option('--format <format>', 'file format (default: from the file name, else csv)').choices(['csv', 'jsonl']))
    .option('--mapping <json>', 'header → field path as a JSON object, e.g. \'{"PID":"partnerID"}\' ("" ignores a column)')
    .option('--error-threshold <percent>', 'failed rows (%) above which the batch fails (service default 5)')
    .option('--json', 'print the batch as JSON instead of its counts')
    .action((file: string, opts: UploadOptions) => upload(file, opts, version));

  const batches = program.command('batches').description('batches of a running service');
  batches
    .command('errors')
    .description("write a batch's row errors (file, row, field, rule, message, raw value) to stdout")
    .argument('<batchId>', 'batch id (bat_…)')
    .addOption(new Option('--format <format>', 'csv or json').choices(['csv', 'json']).default('csv'))
    .action((batchId: string, opts: { format: 'csv' | 'json' }) => errors(batchId, opts, version));
}
