/**
 * Periodic work is scheduled from PostgreSQL: two workers never enqueue the same slot, and a Redis
 * stop (its data gone) followed by worker restarts loses no due run and duplicates none.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BullJobQueue } from '../src/core/jobs';
import { Scheduler } from '../src/core/scheduler';
import { openTestDatabase, testLog } from './helpers/harness';
import { ensureRedisServer, startRedis } from './setup/servers';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
let database: Db;
let redis: { url: string; process: ChildProcess };

async function waitForPort(port: number, up: boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open === up) return;
    if (Date.now() > deadline) throw new Error(`redis port ${port} did not become ${up ? 'open' : 'closed'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function restartRedis(port: number): ChildProcess {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-redis-'));
  return spawn(ensureRedisServer(), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
}

beforeAll(async () => {
  database = await openTestDatabase();
  redis = await startRedis();
});
afterAll(async () => {
  redis.process.kill('SIGKILL');
  await database.close();
});

/** A worker: a Bull queue whose `tick` handler records the job ids it ran, and its scheduler loop. */
function worker(prefix: string, ran: string[], now: () => Date) {
  const jobs = new BullJobQueue(redis.url, prefix, testLog, 1);
  jobs.define('tick', async (_data, job) => {
    ran.push(job.id);
  });
  return { jobs, scheduler: new Scheduler(database.db, jobs, testLog, now, 500) };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('scheduler', () => {
  it('enqueues each due slot exactly once across workers, and survives a Redis stop and worker restarts', async () => {
    const prefix = `sched${Date.now()}`;
    const ran: string[] = [];
    let now = new Date('2026-11-23T10:00:30Z');
    const clock = () => now;
    const a = worker(prefix, ran, clock);
    const b = worker(prefix, ran, clock);
    await a.jobs.start();
    await b.jobs.start();
    // Every worker declares the same schedules at start; declaring again keeps the next slot.
    await a.scheduler.declare('every-minute', '* * * * *', 'tick');
    await b.scheduler.declare('every-minute', '* * * * *', 'tick');
    expect((await a.scheduler.list())[0].nextRunAt).toBe('2026-11-23T10:01:00.000Z');

    expect(await a.scheduler.runDue()).toBe(0); // not due yet
    now = new Date('2026-11-23T10:01:05Z');
    const both = await Promise.all([a.scheduler.runDue(), b.scheduler.runDue(), a.scheduler.runDue()]);
    expect(both.reduce((s, n) => s + n, 0)).toBe(1);
    await until(() => ran.length === 1);
    expect(ran).toEqual(['every-minute@2026-11-23T10:01:00.000Z']);

    // Redis stops: its queues are gone. The next slot falls due while it is down.
    const port = Number(new URL(redis.url).port);
    redis.process.kill('SIGKILL');
    await waitForPort(port, false);
    await a.jobs.close().catch(() => undefined);
    await b.jobs.close().catch(() => undefined);
    now = new Date('2026-11-23T10:02:10Z');
    const offline = worker(prefix, ran, clock);
    await expect(offline.scheduler.runDue()).rejects.toThrow(/took longer than 500 ms/);
    // The slot is still due in PostgreSQL: nothing was lost.
    expect((await offline.scheduler.list())[0].nextRunAt).toBe('2026-11-23T10:02:00.000Z');
    await offline.jobs.close().catch(() => undefined);

    // Redis comes back empty; workers restart and catch up: the missed slot runs once.
    redis.process = restartRedis(port);
    await waitForPort(port, true);
    const a2 = worker(prefix, ran, clock);
    const b2 = worker(prefix, ran, clock);
    await a2.jobs.start();
    await b2.jobs.start();
    const again = await Promise.all([a2.scheduler.runDue(), b2.scheduler.runDue()]);
    expect(again.reduce((s, n) => s + n, 0)).toBe(1);
    await until(() => ran.length === 2);
    expect(ran[1]).toBe('every-minute@2026-11-23T10:02:00.000Z');
    expect(await a2.scheduler.runDue()).toBe(0);
    const [info] = await a2.scheduler.list();
    expect(info.nextRunAt).toBe('2026-11-23T10:03:00.000Z');
    await new Promise((r) => setTimeout(r, 200));
    expect(ran).toHaveLength(2);
    await a2.jobs.close();
    await b2.jobs.close();
  }, 60_000);
});
