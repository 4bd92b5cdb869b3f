/**
 * The one error middleware: every error leaves as RFC 9457 application/problem+json.
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { CdpError, InvalidRequest, isCdpError, ServiceUnavailable } from '../core/errors';
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

/** Seconds a client should wait before retrying a 503 that does not say otherwise. */
export const RETRY_AFTER_SECONDS = 5;

export function sendProblem(res: Response, body: ProblemBody): void {
  if (body.status === 503 && !res.hasHeader('Retry-After')) {
    res.setHeader('Retry-After', String(typeof body.retryAfterSeconds === 'number' ? body.retryAfterSeconds : RETRY_AFTER_SECONDS));
  }
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}

interface PgError {
  code?: string;
  constraint?: string;
  /** Set on errors the PostgreSQL server sent (pg DatabaseError): ERROR, FATAL, PANIC. */
  severity?: string;
}

const SOCKET_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
};

const PG_CLIENT_FAILURES: [RegExp, string][] = [
  [/^Connection terminated due to connection timeout/, 'connection timed out'],
  [/^Connection terminated/, 'connection terminated'],
  [/^Client has encountered a connection error/, 'connection lost'],
  [/^Client was closed/, 'connection closed'],
];

const SQLSTATE_FAILURES: Record<string, string> = {
  '57P01': 'server shut down (57P01)',
  '57P02': 'server crashed (57P02)',
  '57P03': 'server cannot accept connections now (57P03)',
  '53300': 'too many connections (53300)',
  '3D000': 'database does not exist (3D000)',
};

/**
 * Why the database could not be used, when err means it cannot be reached at all (connection
 * refused or lost, server shutting down, no pool connection in time), else null. The reason names
 * no host, database or user: /v1/health shows it to anyone.
 */
export function connectionFailureReason(err: unknown, depth = 0): string | null {
  if (!err || typeof err !== 'object' || depth > 3) return null;
  const e = err as Error & PgError & { errors?: unknown[]; cause?: unknown };
  // knex also throws KnexTimeoutError for a query's own .timeout(); only the pool's means unreachable.
  if (e.name === 'KnexTimeoutError' && /acquiring a connection/.test(e.message ?? '')) return 'no pool connection in time';
  const code = typeof e.code === 'string' ? e.code : '';
  if (SOCKET_FAILURES[code]) return SOCKET_FAILURES[code];
  if (e.severity !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    if (SQLSTATE_FAILURES[code]) return SQLSTATE_FAILURES[code];
    if (code.startsWith('08')) return `connection failure (${code})`;
    if (code.startsWith('28')) return `authentication failed (${code})`;
    // FATAL ends the session: e.g. 55000 "database is not currently accepting connections".
    if (e.severity === 'FATAL' || e.severity === 'PANIC') return `server refused the session (${code})`;
    return null;
  }
  for (const [pattern, reason] of PG_CLIENT_FAILURES) if (pattern.test(e.message ?? '')) return reason;
  // Node reports a refused connect to several addresses as one AggregateError.
  for (const inner of Array.isArray(e.errors) ? e.errors : []) {
    const reason = connectionFailureReason(inner, depth + 1);
    if (reason) return reason;
  }
  return connectionFailureReason(e.cause, depth + 1);
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
    // The router could not decode a path parameter (not percent-encoded UTF-8).
    if (err instanceof URIError && e.status === 400) {
      const message = 'is not valid percent-encoded UTF-8; percent-encode the UTF-8 bytes of each value (encodeURIComponent)';
      return sendProblem(res, problemOf(new InvalidRequest(`The path ${message}`, { errors: [{ pointer: '/path', rule: 'percent_encoding', message }] }), instance));
    }
    const unavailable = connectionFailureReason(err);
    if (unavailable) {
      log.warn({ method: req.method, url: instance, reason: unavailable, err: (err as Error).message }, 'database unavailable');
      return sendProblem(res, problemOf(new ServiceUnavailable(`The database is unavailable: ${unavailable}. Retry in ${RETRY_AFTER_SECONDS} seconds.`), instance));
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
