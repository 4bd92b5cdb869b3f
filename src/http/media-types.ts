/**
 * Media types of raw-body (file upload) routes: the lists a RouteSpec's `rawBody` is built from,
 * and the one check app.ts runs before such a route's handler reads a byte.
 */
import type { Request, Response } from 'express';
import { createError } from '../core/errors';

export const UnsupportedMediaType = createError('unsupported-media-type', 415, 'Unsupported media type');

/** What a CSV file arrives labelled as (Excel on Windows labels .csv files application/vnd.ms-excel). */
export const CSV_TYPES = ['text/csv', 'text/plain', 'application/csv', 'application/vnd.ms-excel'];
export const JSON_LINES_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json-lines'];
export const GZIP_TYPES = ['application/gzip', 'application/x-gzip'];
/**
 * Bytes their client did not label: octet-stream (also assumed when the header is missing, as
 * `curl -T` and browsers with an unknown file type send; RFC 9110 §8.3), and the form type
 * `curl --data-binary` puts on any body it is not told the type of.
 */
export const UNLABELLED_TYPES = ['application/octet-stream', 'application/x-www-form-urlencoded'];

/** `Text/CSV; charset=utf-8` → `text/csv`; a missing or empty header → undefined. */
export function mediaTypeOf(header: string | undefined): string | undefined {
  const type = header?.split(';')[0].trim().toLowerCase();
  return type ? type : undefined;
}

/**
 * Throws 415 unless the request's Content-Type is one of `accepted` (a missing one counts as
 * application/octet-stream). The unread body is not worth draining: the connection closes after
 * the answer.
 */
export function assertAcceptedMediaType(req: Request, res: Response, accepted: readonly string[]): void {
  const received = mediaTypeOf(req.get('content-type'));
  if (accepted.includes(received ?? 'application/octet-stream')) return;
  res.set('Connection', 'close');
  const message = `Content-Type ${received ?? '(none)'} is not accepted here; send the file as one of ${accepted.join(', ')}`;
  throw new UnsupportedMediaType(message, { errors: [{ pointer: '', rule: 'media-type', message }], contentType: received ?? null, accepted: [...accepted] });
}
