import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKnex, migrateLatest } from '../../src/core/db';
import { startEmbeddedPostgres } from '../../src/core/embedded-postgres';
import { freePort, startRedis } from './servers';

export const TEMPLATE_DB = 'cdp_template';

export default async function globalSetup(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-test-pg-'));
  const cluster = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
  const adminUrl = cluster.connectionString.replace(/\/cdp$/, '/postgres');
  const admin = createKnex(adminUrl, 2);
  await admin.raw(`create database ${TEMPLATE_DB}`);
  await admin.destroy();
  const template = createKnex(adminUrl.replace(/\/postgres$/, `/${TEMPLATE_DB}`), 2);
  await migrateLatest(template);
  await template.destroy();

  const redis = await startRedis();
  process.env.CDP_TEST_PG_URL = adminUrl;
  process.env.CDP_TEST_REDIS_URL = redis.url;
  (globalThis as Record<string, unknown>).__cdpServers = { cluster, redis, dataDir };
}
