/**
 * Bad input the HTTP layer itself must refuse (malformed percent-encoding in a path, invalid UTF-8
 * in a JSON body) and a PostgreSQL outage answered as 503 rather than 500.
 */
import knexFactory from 'knex';
import request from 'supertest';
import { createKnex } from '../src/core/db';
import { freePort } from '../src/core/ports';
import { connectionFailureReason } from '../src/http/problem';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api.close());

const customCodes = async (): Promise<string[]> => {
  const res = await api.as(api.adminToken).get('/v1/namespaces?standard=false').expect(200);
  return res.body.items.map((n: { code: string }) => n.code);
};

describe('malformed percent-encoding in a path', () => {
  it.each([
    ['/v1/datasets/%E0%A4%A', '/path', 'percent_encoding'], // truncated escape
    ['/v1/datasets/%ff%fe', '/path', 'percent_encoding'], // bytes that are not UTF-8
    ['/v1/datasets/%ED%A0%80', '/path', 'percent_encoding'], // an encoded UTF-16 surrogate
    ['/v1/datasets/ds_%00x', '/path/id', 'nul_character'],
    ['/v1/activations/act_1/runs/%C0%AF', '/path', 'percent_encoding'], // overlong '/', second parameter
  ])('GET %s answers 400 naming the path (parameter)', async (path, pointer, rule) => {
    const body = expectProblem(await api.as(api.adminToken).get(path), 400);
    expect(body.errors).toEqual([{ pointer, rule, message: expect.any(String) }]);
  });

  it('changes nothing when a write names its resource badly', async () => {
    const created = await api.as(api.adminToken).post('/v1/namespaces', { name: 'Path partner', code: 'PathPartner', type: 'partner_id' }).expect(201);
    const body = expectProblem(await api.as(api.adminToken).patch('/v1/namespaces/%00', { name: 'Renamed' }), 400);
    expect(body.errors[0]).toMatchObject({ pointer: '/path/id', rule: 'nul_character' });
    expectProblem(await api.as(api.adminToken).delete('/v1/namespaces/%ZZ'), 400);
    const after = await api.as(api.adminToken).get(`/v1/namespaces/${created.body.id}`).expect(200);
    expect(after.body.name).toBe('Path partner');
  });

  it('still decodes well-formed escapes, and a bad literal segment is simply no route', async () => {
    const res = await api.as(api.adminToken).get('/v1/namespaces/Phone_E%2E164').expect(200);
    expect(res.body.code).toBe('Phone_E.164');
    expectProblem(await api.as(api.adminToken).get('/v1/%ff/x'), 404);
  });
});

describe('invalid UTF-8 in a JSON body', () => {
  const post = (bytes: Buffer) =>
    request(api.url).post('/v1/namespaces').set('Authorization', `Bearer ${api.adminToken}`).set('Content-Type', 'application/json')
      .serialize((b: Buffer) => b as unknown as string) // the bytes as they are, not JSON of a Buffer
      .send(bytes);
  const json = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

  it.each([
    ['a byte that never starts a character', [0xff]],
    ['a truncated two-byte character', [0xc3]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['an encoded UTF-16 surrogate', [0xed, 0xa0, 0x80]],
  ])('%s answers 400 with the byte offset and stores nothing', async (_what, bad) => {
    const prefix = '{"name":"Malformed 한글 ';
    const body = expectProblem(await post(json(prefix, bad, '","code":"BadUtf8","type":"partner_id"}')), 400);
    const offset = Buffer.byteLength(prefix);
    expect(body.errors).toEqual([{ pointer: '', rule: 'utf-8', message: expect.stringContaining(`byte ${offset}`) }]);
    expect(await customCodes()).not.toContain('BadUtf8');
  });

  it('accepts a real U+FFFD sent as valid UTF-8', async () => {
    const res = await post(json('{"name":"Replacement \uFFFD kept","code":"RealFffd","type":"partner_id"}')).expect(201);
    expect(res.body.name).toBe('Replacement \uFFFD kept');
  });
});

describe('PostgreSQL outage', () => {
  let outage: TestApi;
  const admin = () => createKnex(process.env.CDP_TEST_PG_URL!, 1);
  const dbName = () => new URL(outage.databaseUrl).pathname.slice(1);

  beforeAll(async () => {
    outage = await startTestApi({ mode: 'api' });
  });
  afterAll(async () => outage.close());

  const setConnections = async (allow: boolean) => {
    const a = admin();
    try {
      await a.raw(`alter database ${dbName()} with allow_connections ${allow}`); // generated name, not input
      if (!allow) await a.raw('select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()', [dbName()]);
    } finally {
      await a.destroy();
    }
  };

  it('answers 503 with Retry-After while the database is down, says so on /v1/health, and recovers', async () => {
    await outage.as(outage.adminToken).get('/v1/namespaces').expect(200);
    await setConnections(false);
    try {
      const res = await outage.as(outage.adminToken).get('/v1/namespaces');
      const problem = expectProblem(res, 503);
      expect(res.headers['retry-after']).toBe('5');
      expect(problem.type).toBe('urn:cdp:problem:unavailable');
      expect(problem.detail).toMatch(/database is unavailable/);
      expect(problem.detail).not.toContain(dbName());

      const started = Date.now();
      const health = await request(outage.url).get('/v1/health');
      expect(Date.now() - started).toBeLessThan(3000);
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'degraded', database: expect.stringMatching(/^unavailable: /), jobs: { status: 'ok' } });
      expect(health.body.database).not.toContain(dbName());
    } finally {
      await setConnections(true);
    }
    await outage.as(outage.adminToken).get('/v1/namespaces').expect(200);
    await request(outage.url).get('/v1/health').expect(200);
  });

  it('/v1/health answers within its timeout when no pool connection comes free', async () => {
    // Every connection of the service's pool (5) held by a transaction that waits for the test.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let holding = 0;
    const txs = Array.from({ length: 5 }, () =>
      outage.db.transaction(async (tx) => {
        await tx.raw('select 1');
        holding++;
        await held;
      }),
    );
    try {
      await eventually(async () => holding === 5, 'all pool connections held');
      const started = Date.now();
      const health = await request(outage.url).get('/v1/health');
      expect(Date.now() - started).toBeLessThan(3500);
      expect(health.status).toBe(503);
      expect(health.headers['retry-after']).toBe('5');
      expect(health.body.database).toMatch(/^unavailable: .*2000 ms/);
    } finally {
      release();
      await Promise.all(txs);
    }
    await request(outage.url).get('/v1/health').expect(200);
  });
});

describe('which database errors mean "unavailable" (real errors from pg and knex)', () => {
  const failureOf = async (q: PromiseLike<unknown>) => q.then(() => undefined, (err: unknown) => err);

  it('a refused connection and a pool with no free connection are; a slow query or a bad query is not', async () => {
    const closed = createKnex(`postgres://cdp@127.0.0.1:${await freePort()}/cdp`, 1);
    const quiet = { warn: () => undefined, error: () => undefined, debug: () => undefined, deprecate: () => undefined };
    const tiny = knexFactory({ client: 'pg', connection: api.databaseUrl, pool: { min: 0, max: 1 }, acquireConnectionTimeout: 200, log: quiet });
    try {
      expect(connectionFailureReason(await failureOf(closed.raw('select 1')))).toBe('connection refused');
      let release!: () => void;
      const holding = tiny.transaction(async (tx) => {
        await tx.raw('select 1');
        await new Promise<void>((r) => (release = r));
      });
      await eventually(async () => release !== undefined, 'the one connection held');
      expect(connectionFailureReason(await failureOf(tiny.raw('select 1')))).toBe('no pool connection in time');
      release();
      await holding;
      const slow = await failureOf(tiny.raw('select pg_sleep(1)').timeout(50, { cancel: true }));
      expect((slow as Error).name).toBe('KnexTimeoutError');
      expect(connectionFailureReason(slow)).toBeNull();
      expect(connectionFailureReason(await failureOf(tiny.raw('select * from no_such_table')))).toBeNull();
    } finally {
      await closed.destroy();
      await tiny.destroy();
    }
  });
});
