/**
 * Test harness: a fresh database per test file (copied from the migrated template) and the real
 * service listening on a loopback port, driven over HTTP with supertest.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { createKnex, Database } from '../../src/core/db';
import { createJobQueue, JobQueue } from '../../src/core/jobs';
import { createLogger, Logger } from '../../src/core/log';
import type { Role } from '../../src/core/types';
import { Runtime, startRuntime } from '../../src/runtime';

const TEMPLATE_DB = 'cdp_template';

function adminUrl(): string {
  const url = process.env.CDP_TEST_PG_URL;
  if (!url) throw new Error('CDP_TEST_PG_URL is not set: run tests through jest (globalSetup starts PostgreSQL)');
  return url;
}

export function redisUrl(): string {
  const url = process.env.CDP_TEST_REDIS_URL;
  if (!url) throw new Error('CDP_TEST_REDIS_URL is not set: run tests through jest (globalSetup starts Redis)');
  return url;
}

/** A new database with every migration applied, dropped again by close(). */
export async function openTestDatabase(): Promise<Database & { name: string; url: string }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = createKnex(adminUrl(), 1);
  try {
    await admin.raw(`create database ${name} template ${TEMPLATE_DB}`); // generated name, not input
  } finally {
    await admin.destroy();
  }
  const url = adminUrl().replace(/\/postgres$/, `/${name}`);
  const db = createKnex(url, 5);
  return {
    name,
    url,
    db,
    description: `test database ${name}`,
    close: async () => {
      await db.destroy();
      const a = createKnex(adminUrl(), 1);
      try {
        await a.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await a.destroy();
      }
    },
  };
}

export const testLog = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

export interface TestApi {
  runtime: Runtime;
  url: string;
  db: Database['db'];
  /** For worker processes the test starts itself. */
  databaseUrl: string;
  encryptionKey: string;
  queuePrefix: string;
  organizationId: string;
  adAccountId: string;
  /** Org-wide admin key of the bootstrap organisation. */
  adminToken: string;
  /** supertest against the running server with the given bearer token. */
  as(token: string): AuthedClient;
  /** Key with a role on an account (default: the bootstrap account). */
  keyFor(role: Role, adAccountId?: string): Promise<string>;
  /** Another organisation with its own account and admin key. */
  otherAccount(): Promise<{ organizationId: string; adAccountId: string; adminToken: string }>;
  close(): Promise<void>;
}

export interface AuthedClient {
  get(path: string): request.Test;
  post(path: string, body?: unknown): request.Test;
  put(path: string, body?: unknown): request.Test;
  patch(path: string, body?: unknown): request.Test;
  delete(path: string, body?: unknown): request.Test;
}

/** `log`: a logger of the test's own (to read what the service logs); default silent. `env`: more configuration (e.g. METRICS_TOKEN). */
export async function startTestApi(opts: { jobs?: 'in-process' | 'bull'; mode?: 'all' | 'api'; log?: Logger; env?: Record<string, string> } = {}): Promise<TestApi> {
  const database = await openTestDatabase();
  const encryptionKey = randomBytes(32).toString('base64');
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', CDP_ENCRYPTION_KEY: encryptionKey, ...opts.env });
  let jobs: JobQueue | undefined;
  const queuePrefix = `cdp-${database.name}`;
  if (opts.jobs === 'bull') {
    jobs = createJobQueue({ redisUrl: redisUrl(), prefix: queuePrefix, log: testLog, concurrency: 2 });
  }
  let boot: { organizationId: string; adAccountId: string; token: string } | undefined;
  const runtime = await startRuntime({
    config,
    log: opts.log ?? testLog,
    mode: opts.mode ?? 'all',
    database,
    jobs,
    onBootstrap: (info) => {
      boot = info;
    },
  });
  if (!boot || !runtime.url) throw new Error('test runtime did not bootstrap');
  const url = runtime.url;
  const { organizationId, adAccountId, token: adminToken } = boot;
  const s = runtime.services;

  const as = (token: string): AuthedClient => {
    const auth = (t: request.Test) => t.set('Authorization', `Bearer ${token}`);
    return {
      get: (p) => auth(request(url).get(p)),
      post: (p, body) => auth(request(url).post(p)).send(body as object),
      put: (p, body) => auth(request(url).put(p)).send(body as object),
      patch: (p, body) => auth(request(url).patch(p)).send(body as object),
      delete: (p, body) => (body === undefined ? auth(request(url).delete(p)) : auth(request(url).delete(p)).send(body as object)),
    };
  };

  return {
    runtime,
    url,
    db: database.db,
    databaseUrl: database.url,
    encryptionKey,
    queuePrefix,
    organizationId,
    adAccountId,
    adminToken,
    as,
    keyFor: async (role, accountId = adAccountId) => {
      const account = (await s.accounts.listAllAccounts()).find((a) => a.id === accountId);
      if (!account) throw new Error(`no account ${accountId}`);
      const issued = await s.accounts.issueKey(s.db, { organizationId: account.organizationId, adAccountId: accountId, role, name: `test ${role}` });
      return issued.token;
    },
    otherAccount: async () =>
      s.db.transaction(async (tx) => {
        const org = await s.accounts.createOrganization(tx, 'Other organisation');
        const account = await s.accounts.createAdAccount(tx, org.id, 'Other ad account');
        const issued = await s.accounts.issueKey(tx, { organizationId: org.id, adAccountId: account.id, role: 'admin', name: 'other admin', orgWide: true });
        return { organizationId: org.id, adAccountId: account.id, adminToken: issued.token };
      }),
    close: async () => {
      await runtime.close();
      await jobs?.close();
      await database.close();
    },
  };
}

/** Asserts an RFC 9457 body and returns it. */
export function expectProblem(res: request.Response, status: number): Record<string, any> {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toEqual(expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String) }));
  return res.body;
}
