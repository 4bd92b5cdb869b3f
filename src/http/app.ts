/**
 * The express application: thin controllers generated from RouteSpecs.
 * Per request: authenticate → check the role against ACCESS → validate body/query → call the
 * module service with the caller → respond JSON. Errors go to the one problem middleware.
 */
import { assertStorableText } from '../core/text-guard';
import express, { NextFunction, Request, Response } from 'express';
import pinoHttp from 'pino-http';
import type { AccountService } from '../accounts/service';
import { Forbidden, NotFound } from '../core/errors';
import type { Logger } from '../core/log';
import type { Caller } from '../core/types';
import type { RequestValidator } from '../core/validation';
import { roleMay } from './access';
import { assertAcceptedMediaType } from './media-types';
import { consoleMiddleware } from './console';
import { buildOpenApi } from './openapi';
import { problemMiddleware, RETRY_AFTER_SECONDS } from './problem';
import { assertStorablePathParams, verifyUtf8 } from './request-guards';
import { RouteSpec, STREAMED } from './route';

export interface AppDeps {
  routes: RouteSpec[];
  accounts: AccountService;
  validator: RequestValidator;
  log: Logger;
  jsonBodyLimit: string;
  /** Express's 'trust proxy' (TRUST_PROXY): whose X-Forwarded-For gives `req.ip`. */
  trustProxy?: false | number | string;
  /** Reports whether the database and job queue answer (GET /v1/health). */
  health: () => Promise<Record<string, unknown>>;
  version: string;
  /** Told about every response once it is sent or the client went away (metrics). */
  onResponse?: (response: ResponseInfo) => void;
}

/** `route` is the express route template that answered (`/v1/datasets/:id/data`), null when none did; `console`: the web console did. */
export interface ResponseInfo {
  method: string;
  route: string | null;
  console: boolean;
  status: number;
  seconds: number;
}

/** The service's own routes (health, this document), declared like every module's. */
function builtinRoutes(health: AppDeps['health'], openapi: () => unknown): RouteSpec[] {
  return [
    {
      method: 'get', path: '/v1/health', permission: 'public', tag: 'service',
      summary: 'Liveness and readiness: database and job queue reachability',
      handler: async ({ res }) => {
        const report = await health();
        if (report.status !== 'ok') res.status(503).setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        return report;
      },
    },
    {
      method: 'get', path: '/v1/openapi.json', permission: 'public', tag: 'service',
      summary: 'This API described as OpenAPI 3.1',
      handler: async () => openapi(),
    },
  ];
}

/** The OpenAPI document of the module routes plus the service's own (what GET /v1/openapi.json serves). */
export function apiDocument(routes: RouteSpec[], validator: RequestValidator, version: string): Record<string, unknown> {
  return buildOpenApi([...builtinRoutes(async () => ({}), () => ({})), ...routes], validator, version);
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.set('trust proxy', deps.trustProxy ?? false);
  const onResponse = deps.onResponse;
  if (onResponse) {
    app.use((req: Request, res: Response, next: NextFunction) => {
      const start = performance.now();
      res.once('close', () => {
        const route = (req.route as { path?: unknown } | undefined)?.path;
        onResponse({
          method: req.method,
          route: typeof route === 'string' ? route : null,
          console: res.locals.console === true,
          status: res.statusCode,
          seconds: (performance.now() - start) / 1000,
        });
      });
      next();
    });
  }
  app.use(
    pinoHttp({
      logger: deps.log,
      // Only what is safe: never headers (Authorization) or bodies (may carry credentials).
      serializers: {
        req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug'),
    }),
  );
  const JSON_TYPES = ['application/json', 'application/*+json'];
  const json = express.json({ limit: deps.jsonBodyLimit, type: JSON_TYPES, verify: verifyUtf8 });
  // Public browser endpoints: any origin may send (no cookies or credentials are read), preflight
  // answered here; text/plain JSON is what navigator.sendBeacon sends without a preflight.
  const anyOrigin = (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    next();
  };
  const preflight = (_req: Request, res: Response) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
    res.setHeader('Access-Control-Max-Age', '86400');
    res.status(204).end();
  };
  const preflighted = new Set<string>();

  const routes: RouteSpec[] = [...builtinRoutes(deps.health, () => openapi), ...deps.routes];
  const openapi = apiDocument(deps.routes, deps.validator, deps.version);

  for (const spec of routes) {
    // File uploads stream through untouched; every other route parses JSON.
    const parse = spec.rawBody
      ? (_req: Request, _res: Response, next: NextFunction) => next()
      : spec.cors || spec.jsonBodyLimit
        ? express.json({ limit: spec.jsonBodyLimit ?? deps.jsonBodyLimit, type: spec.cors ? [...JSON_TYPES, 'text/plain'] : JSON_TYPES, verify: verifyUtf8 })
        : json;
    if (spec.cors && !preflighted.has(spec.path)) {
      preflighted.add(spec.path);
      app.options(spec.path, preflight);
    }
    const before = spec.cors ? [anyOrigin, parse] : [parse];
    app[spec.method](spec.path, ...before, async (req: Request, res: Response, next: NextFunction) => {
      try {
        assertStorablePathParams(req.params as Record<string, string>);
        let caller = undefined as unknown as Caller;
        if (spec.permission !== 'public') {
          const header = req.get('authorization');
          const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
          caller = await deps.accounts.authenticate(token, req.get('x-ad-account-id') || undefined);
          if (!roleMay(caller.role, spec.permission)) {
            throw new Forbidden(`Role ${caller.role} may not ${spec.method.toUpperCase()} ${spec.path} (needs ${spec.permission})`);
          }
        }
        // After auth (401/403 come first), before the handler reads a byte of the file.
        if (spec.rawBody) assertAcceptedMediaType(req, res, spec.rawBody);
        const query: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
        assertStorableText(query, 'query');
        if (!spec.rawBody) assertStorableText(req.body, 'body');
        if (spec.query) deps.validator.check(spec.query, query, 'query');
        let body: unknown = req.body;
        if (spec.body) {
          if (body === undefined) body = {};
          deps.validator.check(spec.body, body, 'body');
        }
        const result = await spec.handler({ caller, body, query, params: req.params as Record<string, string>, req, res });
        if (result === STREAMED) return;
        if (result === undefined) {
          res.status(spec.status && spec.status !== 200 ? spec.status : 204).end();
        } else {
          if (res.statusCode === 200) res.status(spec.status ?? 200);
          res.json(result);
        }
      } catch (err) {
        next(err);
      }
    });
  }

  // What passes the API routes is the console's until it passes on (onResponse tells them apart).
  app.use((_req: Request, res: Response, next: NextFunction) => {
    res.locals.console = true;
    next();
  });
  app.use(...consoleMiddleware());
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.locals.console = false;
    next(new NotFound(`No route ${req.method} ${req.path}`));
  });
  app.use(problemMiddleware(deps.log));
  return app;
}
