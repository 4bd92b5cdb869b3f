/**
 * The HTTP contract every route shares: OpenAPI covers every registered route, errors are
 * problem+json, health answers, and no secret reaches a log line.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../src/core/log';
import { openApiPath } from '../src/http/openapi';
import { startRuntime } from '../src/runtime';
import { loadConfig } from '../src/config';
import { expectProblem, openTestDatabase, redisUrl, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api.close());

/** Every (method, path) express actually routes. */
function registeredRoutes(): { method: string; path: string }[] {
  const router = (api.runtime.app as unknown as { router: { stack: any[] } }).router;
  const out: { method: string; path: string }[] = [];
  for (const layer of router.stack) {
    if (!layer.route) continue;
    for (const method of Object.keys(layer.route.methods)) out.push({ method, path: layer.route.path });
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and describes every registered route with its roles', async () => {
    const res = await request(api.url).get('/v1/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const routes = registeredRoutes();
    expect(routes.length).toBeGreaterThan(5);
    const missing = routes.filter((r) => !res.body.paths[openApiPath(r.path)]?.[r.method]);
    expect(missing).toEqual([]);
    for (const r of routes) {
      const op = res.body.paths[openApiPath(r.path)][r.method];
      expect(op.summary).toEqual(expect.any(String));
      expect(op['x-roles'].length).toBeGreaterThan(0);
    }
  });

  it('resolves every $ref inside the document', async () => {
    const res = await request(api.url).get('/v1/openapi.json').expect(200);
    const doc = res.body;
    const refs: string[] = [];
    const walk = (n: unknown) => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        for (const [k, v] of Object.entries(n)) {
          if (k === '$ref' && typeof v === 'string') refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    const unresolved = refs.filter((ref) => {
      let node: any = doc;
      for (const part of ref.replace(/^#\//, '').split('/')) node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      return node === undefined;
    });
    expect(unresolved).toEqual([]);
  });
});

describe('health and errors', () => {
  it('reports database and job queue', async () => {
    const res = await request(api.url).get('/v1/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: 'ok', jobs: { kind: 'in-process', status: 'ok' } });
  });

  it('uses Bull when REDIS_URL is set (what several worker processes share)', async () => {
    const database = await openTestDatabase();
    const runtime = await startRuntime({
      config: loadConfig({ PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: redisUrl(), QUEUE_PREFIX: `cdp-${database.name}` }),
      log: createLogger('silent'),
      mode: 'all',
      database,
    });
    try {
      const res = await request(runtime.url!).get('/v1/health').expect(200);
      expect(res.body.jobs).toEqual({ kind: 'bull', status: 'ok' });
    } finally {
      await runtime.close();
      await database.close();
    }
  });

  it('answers unknown routes with a problem+json 404', async () => {
    const body = expectProblem(await request(api.url).get('/v1/does-not-exist'), 404);
    expect(body.type).toMatch(/^urn:cdp:problem:/);
  });
});

describe('logs', () => {
  it('never contain the bootstrap key or a bearer token', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const database = await openTestDatabase();
    let token = '';
    const runtime = await startRuntime({
      config: loadConfig({ PORT: '0', LOG_LEVEL: 'trace' }),
      log: createLogger('trace', sink),
      mode: 'all',
      database,
      onBootstrap: (info) => {
        token = info.token;
      },
    });
    try {
      await request(runtime.url!).get('/v1/accounts/me').set('Authorization', `Bearer ${token}`).expect(200);
      await request(runtime.url!).get('/v1/accounts/me').set('Authorization', `Bearer ${token}x`).expect(401);
      const res = await request(runtime.url!).get('/v1/accounts/me').set('Authorization', `Bearer ${token}`);
      const issued = await request(runtime.url!)
        .post(`/v1/accounts/${res.body.adAccount.id}/api-keys`)
        .set('Authorization', `Bearer ${token}`)
        .send({ role: 'marketer', name: 'logged?' })
        .expect(201);
      const all = lines.join('');
      expect(all.length).toBeGreaterThan(0);
      expect(all).toContain('first start');
      expect(all).toContain('/v1/accounts/me'); // request lines were logged, and still hold no secret
      const secret = token.split('.')[1];
      expect(all).not.toContain(secret);
      expect(all).not.toContain(issued.body.token.split('.')[1]);
      expect(all.toLowerCase()).not.toContain('bearer');
    } finally {
      await runtime.close();
      await database.close();
    }
  });
});
