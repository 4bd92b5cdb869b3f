/**
 * Real servers for the suite, on loopback: one embedded PostgreSQL cluster (each test file gets its
 * own database copied from a migrated template) and one redis-server for the Bull path.
 */
import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { freePort } from '../../src/core/ports';
import { eventually } from '../helpers/poll';

export { freePort };

function which(bin: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** Installs Debian's redis-server when missing (CI machines start bare). */
export function ensureRedisServer(): string {
  let bin = which('redis-server');
  if (bin) return bin;
  if (process.getuid?.() !== 0) throw new Error('redis-server is not installed; run: sudo apt-get install -y redis-server');
  process.stderr.write('installing redis-server with apt-get …\n');
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null'], { stdio: 'inherit' });
  bin = which('redis-server');
  if (!bin) throw new Error('redis-server still missing after apt-get install');
  return bin;
}

export async function startRedis(): Promise<{ url: string; process: ChildProcess }> {
  const bin = ensureRedisServer();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-redis-'));
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
    detached: false,
  });
  await eventually(async () => portOpen(port), `redis-server to accept connections on port ${port}`, 10_000, 50);
  return { url: `redis://127.0.0.1:${port}`, process: child };
}

/** Whether something accepts TCP connections on this loopback port now. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.end();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
