import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { EmbeddedCluster } from '../../src/core/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__cdpServers as
    | { cluster: EmbeddedCluster; redis: { process: ChildProcess }; dataDir: string }
    | undefined;
  if (!servers) return;
  servers.redis.process.kill('SIGTERM');
  await servers.cluster.stop();
  fs.rmSync(servers.dataDir, { recursive: true, force: true });
}
