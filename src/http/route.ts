/**
 * Routes are declared as data (RouteSpec) by each domain module. One list drives the express
 * router, the permission check, request validation and the OpenAPI document, so none of them can
 * drift from the others.
 */
import type { Request, Response } from 'express';
import type { Caller } from '../core/types';
import type { Permission } from './access';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RequestContext<B = any, Q = any> {
  /** Resolved from the API key; routes with permission 'public' get none. */
  caller: Caller;
  body: B;
  query: Q;
  params: Record<string, string>;
  req: Request;
  res: Response;
}

/** Returned by a handler that wrote the response itself (streams, files). */
export const STREAMED = Symbol('streamed');

export interface RouteSpec {
  method: HttpMethod;
  /** Express path, e.g. `/v1/namespaces/:id`. */
  path: string;
  permission: Permission | 'public';
  summary: string;
  /** OpenAPI tag: the domain module. */
  tag: string;
  /** `$id` of the JSON Schema in schemas/ the body must match. */
  body?: string;
  /** `$id` of the JSON Schema in schemas/ the query string must match (types are coerced). */
  query?: string;
  /** Success status; default 200 (204 when the handler returns undefined). */
  status?: number;
  /** Extra documented error statuses besides the ones every route has. */
  errors?: number[];
  /** Content type of the success body when it is not JSON. */
  produces?: string;
  /**
   * The body is a file streamed to the handler (`ctx.req`), not parsed JSON; value = the accepted
   * media types (lists in ./media-types). Any other Content-Type answers 415 before the handler runs.
   */
  rawBody?: string[];
  /**
   * Called by browsers from any site (pixel collection, postbacks): answers CORS for any origin,
   * OPTIONS preflight included, and also reads JSON sent as text/plain (navigator.sendBeacon).
   */
  cors?: boolean;
  /** Largest JSON body of this route when it differs from the service-wide limit. */
  jsonBodyLimit?: string;
  handler(ctx: RequestContext): Promise<unknown>;
}

export function route(spec: RouteSpec): RouteSpec {
  return spec;
}
