/**
 * Processes of the built CLI (dist/src/cli/main.js, which npm test builds) on the test's PostgreSQL
 * and Redis, as an operator runs them: `cdp start --api-only`, `cdp worker`, …
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { freePort } from '../setup/servers';
import type { AuthedClient, TestApi } from './harness';
import { redisUrl } from './harness';
import { eventually, GiveUp } from './poll';

export const CLI = path.join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
}

export interface CliProcess {
  child: ChildProcess;
  /** Base URL when it serves the API. */
  url?: string;
  /** What it wrote so far — progress lines (stderr) and JSON logs (stdout) — the last 20,000 characters. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) once it has exited. */
  exited: Promise<number | null>;
  /** Resolves once `text` has appeared in its output; gives up when the process exits first. */
  said(text: string, timeoutMs?: number): Promise<void>;
  /** supertest against its API with a bearer token. */
  as(token: string): AuthedClient;
}

/** The environment that puts a process on the test API's database, Redis and queues. */
export function serviceEnv(api: TestApi, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH!,
    DATABASE_URL: api.databaseUrl,
    REDIS_URL: redisUrl(),
    QUEUE_PREFIX: api.queuePrefix,
    CDP_ENCRYPTION_KEY: api.encryptionKey,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/**
 * Starts `cdp <args>` with `env`, resolved once it is ready: with `api`, on a free port, once it
 * answers /v1/health; otherwise once it says its workers run.
 */
export async function startCli(args: string[], env: Record<string, string>, opts: { api?: boolean } = {}): Promise<CliProcess> {
  const port = opts.api ? await freePort() : undefined;
  const child = spawn('node', [CLI, ...args], { env: { ...env, ...(port ? { PORT: String(port) } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const seen = (c: Buffer) => (out = (out + c.toString()).slice(-20_000));
  child.stdout!.on('data', seen);
  child.stderr!.on('data', seen);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = port ? `http://127.0.0.1:${port}` : undefined;
  const alive = () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new GiveUp(`cdp ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}): ${out}`);
  };
  const proc: CliProcess = {
    child,
    url,
    output: () => out,
    exited,
    said: async (text, timeoutMs = 30_000) => {
      await eventually(async () => {
        if (out.includes(text)) return true;
        alive();
        return false;
      }, () => `"${text}" from cdp ${args.join(' ')} (output: ${out})`, timeoutMs, 20);
    },
    as: (token) => {
      if (!url) throw new Error(`cdp ${args.join(' ')} serves no API`);
      const auth = (t: request.Test) => t.set('Authorization', `Bearer ${token}`);
      return {
        get: (p) => auth(request(url).get(p)),
        post: (p, body) => auth(request(url).post(p)).send(body as object),
        put: (p, body) => auth(request(url).put(p)).send(body as object),
        patch: (p, body) => auth(request(url).patch(p)).send(body as object),
        delete: (p, body) => (body === undefined ? auth(request(url).delete(p)) : auth(request(url).delete(p)).send(body as object)),
      };
    },
  };
  if (url) {
    await eventually(async () => {
      alive();
      return (await request(url).get('/v1/health')).status === 200;
    }, () => `cdp ${args.join(' ')} to answer on ${url} (output: ${out})`, 60_000, 50);
  } else {
    await proc.said('worker running', 60_000);
  }
  return proc;
}

/** SIGKILL, resolved once it has exited. */
export async function killHard(proc: CliProcess): Promise<void> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  await proc.exited;
}
