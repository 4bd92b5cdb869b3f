/**
 * OpenAPI 3.1 generated from the same RouteSpecs that build the router; request schemas come from
 * schemas/ (JSON Schema 2020-12 is OpenAPI 3.1's own dialect).
 */
import type { RequestValidator } from '../core/validation';
import { ACCESS } from './access';
import type { RouteSpec } from './route';

type Json = Record<string, unknown>;

/** `/v1/x/:id` → `/v1/x/{id}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Rewrites refs so schema files can reference each other by $id inside components. */
function relocate(node: unknown, id: string): unknown {
  if (Array.isArray(node)) return node.map((n) => relocate(n, id));
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === '$id') continue;
      if (k === '$ref' && typeof v === 'string') {
        out[k] = v.startsWith('#')
          ? `#/components/schemas/${id}${v.slice(1)}`
          : `#/components/schemas/${v.split('#')[0]}${v.includes('#') ? v.slice(v.indexOf('#') + 1) : ''}`;
      } else out[k] = relocate(v, id);
    }
    return out;
  }
  return node;
}

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export function buildOpenApi(routes: RouteSpec[], validator: RequestValidator, version: string): Json {
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const p = openApiPath(r.path);
    const params = [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const queryParams: Json[] = [];
    if (r.query) {
      const doc = validator.documents.get(r.query) as { properties?: Record<string, Json>; required?: string[] } | undefined;
      for (const [name, schema] of Object.entries(doc?.properties ?? {})) {
        const param: Json = { name, in: 'query', required: doc?.required?.includes(name) ?? false, schema: relocate(schema, r.query) };
        // Objects in the query are written name[key]=value (the extended query parser), not form style.
        const objectTyped = schema.type === 'object' || (Array.isArray(schema.anyOf) && (schema.anyOf as Json[]).some((s) => s.type === 'object'));
        if (objectTyped) Object.assign(param, { style: 'deepObject', explode: true });
        queryParams.push(param);
      }
    }
    const successStatus = String(r.status ?? 200);
    const responses: Json = {
      [successStatus]: r.produces
        ? { description: 'Success', content: { [r.produces]: {} } }
        : successStatus === '204'
          ? { description: 'No content' }
          : { description: 'Success', content: { 'application/json': {} } },
    };
    if (r.permission !== 'public') {
      responses['401'] = problemResponse('Missing, unknown or revoked API key');
      responses['403'] = problemResponse('The key\'s role may not call this route');
      responses['404'] = problemResponse('Not found (also for other ad accounts\' resources)');
    }
    if (r.body || r.query) responses['400'] = problemResponse('Request does not match its schema');
    if (r.rawBody) responses['415'] = problemResponse(`Content-Type is not one of ${r.rawBody.join(', ')} (none counts as application/octet-stream)`);
    for (const status of r.errors ?? []) responses[String(status)] ??= problemResponse('See detail and errors');
    const op: Json = {
      operationId: `${r.method}${p.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      tags: [r.tag],
      'x-permission': r.permission,
      'x-roles': r.permission === 'public' ? ['anyone'] : ACCESS[r.permission],
      security: r.permission === 'public' ? [] : [{ bearer: [] }],
      parameters: [...params, ...queryParams],
      responses,
    };
    if (r.rawBody) {
      op.requestBody = { required: true, content: Object.fromEntries(r.rawBody.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) };
    }
    if (r.body) {
      op.requestBody = { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${r.body}` } } } };
    }
    (paths[p] ??= {})[r.method] = op;
    if (r.cors && !paths[p].options) {
      paths[p].options = {
        operationId: `${op.operationId as string}Preflight`,
        summary: 'CORS preflight: any origin may call this public endpoint (GET, POST; Content-Type header)',
        tags: [r.tag],
        'x-permission': 'public',
        'x-roles': ['anyone'],
        security: [],
        parameters: params,
        responses: { '204': { description: 'Access-Control-Allow-Origin: *' } },
      };
    }
  }
  const schemas: Json = {
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details',
      required: ['type', 'title', 'status', 'detail'],
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        instance: { type: 'string' },
        errors: {
          type: 'array',
          items: {
            type: 'object',
            required: ['pointer', 'rule', 'message'],
            properties: {
              pointer: { type: 'string' },
              rule: { type: 'string' },
              message: { type: 'string' },
              params: {
                type: 'object',
                description: "The rule's figures (limit, allowedValues, format, type…), for wording the message in another language",
                additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: ['string', 'number'] } }] },
              },
            },
          },
        },
      },
    },
  };
  for (const [id, doc] of validator.documents) schemas[id] = relocate(doc, id);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Prospect CDP API',
      version,
      description:
        'Partner-data prospecting CDP: identity namespaces, XDM-like schemas, data usage governance, datasets, audiences, activations and first-party targets. Every error is application/problem+json.',
    },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas },
    paths,
  };
}
