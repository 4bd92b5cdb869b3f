/**
 * File downloads: rows → encoder → response, streamed. Every CSV the API answers goes through the
 * exports' encoder (connectors/export-format.ts), so formula neutralisation has one rule.
 *
 * Headers are committed with the first encoded bytes: a source that fails before them still
 * answers problem+json. A client that goes away is routine (debug). A source that fails later
 * cuts the response off (the client sees a truncated transfer) and is logged as an error.
 */
import { Duplex, pipeline as pipeStreams, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { createCsvEncoder } from '../../connectors/export-format';
import { STREAMED } from './route';

export interface Download {
  fileName: string;
  /** e.g. `text/csv; charset=utf-8` */
  contentType: string;
  /** Object rows (a knex stream, …). */
  rows: Readable | NodeJS.ReadableStream;
  /** Object rows in, bytes out. */
  encoder: Duplex;
}

export async function sendDownload(res: Response, d: Download): Promise<typeof STREAMED> {
  const log = res.req.log;
  let clientGone = false;
  res.once('close', () => {
    if (!res.writableFinished) clientGone = true;
  });
  // Errors anywhere destroy every stream of the pipeline; they surface through `chunks`.
  const body: Duplex = pipeStreams(d.rows as Readable, d.encoder, () => {});
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Waiting for the first bytes: stop the query if the client leaves meanwhile.
  const stopEarly = () => body.destroy();
  res.once('close', stopEarly);

  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (err) {
    if (clientGone) return abandoned(res, err);
    throw err; // nothing sent yet: the problem middleware answers
  } finally {
    res.removeListener('close', stopEarly);
  }
  if (clientGone) {
    await chunks.return?.();
    return abandoned(res);
  }

  res.type(d.contentType).attachment(d.fileName);
  let sourceError: unknown;
  try {
    await pipeline(async function* () {
      try {
        if (!first.done) yield first.value;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      } catch (err) {
        sourceError = err;
        throw err;
      } finally {
        await chunks.return?.(); // the client left: release the query
      }
    }, res);
  } catch (err) {
    if (sourceError === undefined) return abandoned(res, err);
    log.error({ err: sourceError, url: res.req.originalUrl.split('?')[0] }, 'download failed after its first bytes; the response was cut off');
    res.destroy();
  }
  return STREAMED;
}

function abandoned(res: Response, err?: unknown): typeof STREAMED {
  const e = err as { code?: string } | undefined;
  res.req.log.debug({ url: res.req.originalUrl.split('?')[0], code: e?.code }, 'download abandoned by the client');
  return STREAMED;
}

/** Object rows as a CSV download (header line first), neutralised like every export. */
export function sendCsvDownload(res: Response, fileName: string, columns: string[], rows: Download['rows']): Promise<typeof STREAMED> {
  return sendDownload(res, { fileName, contentType: 'text/csv; charset=utf-8', rows, encoder: createCsvEncoder({ columns, header: true, gzip: false }) });
}
