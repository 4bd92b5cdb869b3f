/**
 * One error factory (after Directus' createError) and the problem details it maps to.
 * Services throw these; one HTTP middleware (src/http/problem.ts) turns them into
 * RFC 9457 application/problem+json. The CLI prints the same title and detail.
 */

/**
 * One validation finding: where (JSON Pointer into the request), which rule, and why. `params` are
 * the rule's figures (a limit, the allowed values), so a client can word the message in its own
 * language; the message is always complete without them.
 */
export interface FieldError {
  pointer: string;
  rule: string;
  message: string;
  params?: FieldErrorParams;
}

export type FieldErrorParams = Record<string, string | number | boolean | (string | number)[]>;

export interface ProblemExtras {
  errors?: FieldError[];
  [key: string]: unknown;
}

export abstract class CdpError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  abstract readonly title: string;
  readonly extras: ProblemExtras;
  constructor(detail: string, extras: ProblemExtras = {}, options?: { cause?: unknown }) {
    super(detail, options);
    this.extras = extras;
  }
}

export type CdpErrorClass = new (detail: string, extras?: ProblemExtras, options?: { cause?: unknown }) => CdpError;

export function createError(code: string, status: number, title: string): CdpErrorClass {
  return class extends CdpError {
    readonly code = code;
    readonly status = status;
    readonly title = title;
    override readonly name = `${code}Error`;
  };
}

/** Malformed request: body/query fails its JSON Schema. */
export const InvalidRequest = createError('invalid-request', 400, 'Request is not valid');
/** Well-formed request that breaks a domain rule (e.g. a prospect identity outside Partner ID). */
export const UnprocessableRequest = createError('rule-violated', 422, 'Request breaks a rule');
export const Unauthorized = createError('unauthorized', 401, 'Authentication required');
export const Forbidden = createError('forbidden', 403, 'Your role may not do this');
/** Also used for other ad accounts' resources, so their existence is never revealed. */
export const NotFound = createError('not-found', 404, 'Resource not found');
export const Duplicate = createError('duplicate', 409, 'Resource already exists');
export const Conflict = createError('conflict', 409, 'Resource is in a state that does not allow this');
export const LimitExceeded = createError('limit-exceeded', 409, 'Limit reached');
export const PayloadTooLarge = createError('payload-too-large', 413, 'Payload too large');
export const PolicyViolation = createError('policy-violation', 422, 'Data usage policy violated');
/** A dependency (the database) cannot be reached; the client should retry (Retry-After). */
export const ServiceUnavailable = createError('unavailable', 503, 'Service temporarily unavailable');

/** Shorthand for a single-field rule violation. */
export function ruleError(pointer: string, rule: string, message: string, status: 400 | 422 = 422, params?: FieldErrorParams): CdpError {
  const Kind = status === 400 ? InvalidRequest : UnprocessableRequest;
  return new Kind(message, { errors: [{ pointer, rule, message, ...(params ? { params } : {}) }] });
}

export function isCdpError(err: unknown): err is CdpError {
  return err instanceof CdpError;
}

/**
 * An error PostgreSQL sent (pg's DatabaseError: a SQLSTATE code and a severity). Its message as
 * knex reports it starts with the whole statement, so it goes to the log, never to a user.
 */
export function isDatabaseError(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown } | null;
  return err instanceof Error && typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}
