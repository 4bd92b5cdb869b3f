/**
 * The one error middleware: every error leaves as RFC 9457 application/problem+json.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { CdpError, isCdpError } from '../core/errors';
import type { Logger } from '../core/log';

export const PROBLEM_TYPE_BASE = 'urn:cdp:problem:';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [key: string]: unknown;
}

export function problemOf(err: CdpError, instance?: string): ProblemBody {
  return {
    type: PROBLEM_TYPE_BASE + err.code,
    title: err.title,
    status: err.status,
    detail: err.message,
    ...(instance ? { instance } : {}),
    ...err.extras,
  };
}

export function sendProblem(res: Response, body: ProblemBody): void {
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

interface PgError {
  code?: string;
  constraint?: string;
}

export function problemMiddleware(log: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, _next) => {
    const instance = req.originalUrl.split('?')[0];
    if (isCdpError(err)) return sendProblem(res, problemOf(err, instance));
    const e = err as { type?: string; status?: number; message?: string } & PgError;
    // body-parser failures
    if (e.type === 'entity.parse.failed') {
      return sendProblem(res, {
        type: PROBLEM_TYPE_BASE + 'invalid-json',
        title: 'Request body is not valid JSON',
        status: 400,
        detail: e.message ?? 'Malformed JSON',
        instance,
        errors: [{ pointer: '', rule: 'json', message: e.message ?? 'Malformed JSON' }],
      });
    }
    if (e.type === 'entity.too.large') {
      return sendProblem(res, {
        type: PROBLEM_TYPE_BASE + 'payload-too-large',
        title: 'Payload too large',
        status: 413,
        detail: e.message ?? 'Request body is too large',
        instance,
      });
    }
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') {
      return sendProblem(res, { type: PROBLEM_TYPE_BASE + 'unsupported-media-type', title: 'Unsupported encoding', status: 415, detail: e.message ?? '', instance });
    }
    // A unique index caught a race the service's own check could not see.
    if (e.code === '23505') {
      return sendProblem(res, {
        type: PROBLEM_TYPE_BASE + 'duplicate',
        title: 'Resource already exists',
        status: 409,
        detail: `A resource with the same unique value already exists (${e.constraint ?? 'unique constraint'})`,
        instance,
      });
    }
    // A foreign key caught a race: what the request referenced was deleted while it ran.
    if (e.code === '23503') {
      return sendProblem(res, {
        type: PROBLEM_TYPE_BASE + 'conflict',
        title: 'Resource is in a state that does not allow this',
        status: 409,
        detail: `Something this request refers to was deleted (or is still referenced) at the same moment (${e.constraint ?? 'foreign key'}); reload and try again`,
        instance,
      });
    }
    log.error({ err, method: req.method, url: instance }, 'unhandled error');
    return sendProblem(res, {
      type: PROBLEM_TYPE_BASE + 'internal',
      title: 'Internal error',
      status: 500,
      detail: 'The server failed to handle this request; the error was logged.',
      instance,
    });
  };
}
