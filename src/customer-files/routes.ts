import type { Request, Response } from 'express';
import { PayloadTooLarge } from '../core/errors';
import { sendCsvDownload } from '../http/download';
import { CSV_TYPES, UNLABELLED_TYPES } from '../http/media-types';
import { route, RouteSpec, STREAMED } from '../http/route';
import type { CustomerFileService } from './service';
import type { UploadEncoding } from './uploads';

/** Customer and friend group files are plain CSV (no compression). */
export const UPLOAD_TYPES = [...CSV_TYPES, ...UNLABELLED_TYPES];

/** The request's declared length, if any (a chunked body has none). */
export function contentLength(req: Request): number | undefined {
  const v = req.get('content-length');
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** A refused upload's remaining bytes are not worth reading: close the connection after the 413. */
export async function closingOnTooLarge<T>(res: Response, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof PayloadTooLarge) res.set('Connection', 'close');
    throw err;
  }
}

/**
 * Writes a template (our own header and examples, no user data) as a download. Not neutralised:
 * the friend group example `+1 415 555 2671` would come out as `'+1 …` and fail its own upload.
 */
export function sendCsv(res: Response, fileName: string, text: string): typeof STREAMED {
  res.type('text/csv; charset=utf-8').attachment(fileName).send(text);
  return STREAMED;
}

/** Streams failed rows (row, value, rule, message) as a CSV download; values are the file's, so neutralised. */
export function sendFailures(res: Response, fileName: string, rows: NodeJS.ReadableStream): Promise<typeof STREAMED> {
  return sendCsvDownload(res, fileName, ['row', 'value', 'rule', 'message'], rows);
}

export function customerFileRoutes(files: CustomerFileService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/targets/customer-files/template', permission: 'targets.read', tag: 'customer-files', produces: 'text/csv',
      summary: '고객파일 템플릿: the CSV template of a customer file (the `adid` column, a memo column that is ignored, one example row)',
      handler: async ({ res }) => sendCsv(res, 'customer_file_template.csv', files.template()),
    }),
    route({
      method: 'post', path: '/v1/targets/customer-files/uploads', permission: 'targets.write', tag: 'customer-files',
      query: 'customer-file-upload-query', rawBody: UPLOAD_TYPES, status: 201, errors: [413, 422],
      summary: 'Upload a customer file (CSV with an ADID column — adid, 광고식별자, ad_id, gaid or idfa — other columns ignored, or one headerless column; ≤ 200 MB, UTF-8 or EUC-KR/CP949): the de-identification result with success, failure and duplicate counts and the ignored columns',
      handler: async ({ caller, query, req, res }) =>
        closingOnTooLarge(res, () =>
          files.upload(caller, req, { contentLength: contentLength(req), encoding: query.encoding as UploadEncoding, fileName: query.fileName as string | undefined }),
        ),
    }),
    route({
      method: 'get', path: '/v1/targets/customer-files/uploads/:id', permission: 'targets.read', tag: 'customer-files',
      summary: 'One customer file upload: counts, encoding, whether it was saved (unsaved uploads are kept 24 hours)',
      handler: async ({ caller, params }) => files.getUpload(caller, params.id),
    }),
    route({
      method: 'get', path: '/v1/targets/customer-files/uploads/:id/failures', permission: 'targets.read', tag: 'customer-files', produces: 'text/csv',
      summary: 'The failed rows of an upload as CSV: row number, value, rule and message',
      handler: async ({ caller, params, res }) => sendFailures(res, `${params.id}_failures.csv`, await files.failures(caller, params.id)),
    }),
    route({
      method: 'post', path: '/v1/targets/customer-files', permission: 'targets.write', tag: 'customer-files', body: 'customer-file-create', status: 201, errors: [409, 422],
      summary: 'Save an upload as a customer file under a unique name (at most 30 per ad account); its population is counted in the background',
      handler: async ({ caller, body }) => files.create(caller, body),
    }),
    route({
      method: 'get', path: '/v1/targets/customer-files', permission: 'targets.read', tag: 'customer-files',
      summary: 'Customer files: name, status, ADID count, population (준비중 / number / 모수부족 / 등록실패 / 조회중 / 조회실패) and usage',
      handler: async ({ caller }) => ({ items: await files.list(caller) }),
    }),
    route({
      method: 'get', path: '/v1/targets/customer-files/:id', permission: 'targets.read', tag: 'customer-files',
      summary: 'One customer file with its upload counts, population and usage',
      handler: async ({ caller, params }) => files.get(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/targets/customer-files/:id', permission: 'targets.write', tag: 'customer-files', body: 'customer-file-update', errors: [409],
      summary: 'Rename a customer file (names are unique per ad account)',
      handler: async ({ caller, params, body }) => files.rename(caller, params.id, body.name),
    }),
    route({
      method: 'delete', path: '/v1/targets/customer-files/:id', permission: 'targets.write', tag: 'customer-files', errors: [409],
      summary: 'Delete a customer file no ad group uses (409 with its usage otherwise)',
      handler: async ({ caller, params }) => files.delete(caller, params.id),
    }),
  ];
}
