/**
 * Periodic work is scheduled from PostgreSQL: two workers never enqueue the same slot, and a Redis
 * stop (its data gone) followed by worker restarts loses no due run and duplicates none.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Bull from 'bull';
import { BullJobQueue } from '../src/core/jobs';
import { Scheduler } from '../src/core/scheduler';
import { EVERY_MINUTE } from '../src/core/schedule';
import { openTestDatabase, testLog } from './helpers/harness';
import { eventually } from './helpers/poll';
import { ensureRedisServer, portOpen, startRedis } from './setup/servers';

type Db = Awaited<ReturnType<typeof openTestDatabase>>;
let database: Db;
let redis: { url: string; process: ChildProcess };

async function waitForPort(port: number, up: boolean): Promise<void> {
  await eventually(async () => (await portOpen(port)) === up, `redis port ${port} to become ${up ? 'open' : 'closed'}`, 10_000, 50);
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

/** Tick jobs Redis still holds to run (waiting, delayed or running), read with a Bull queue of our own. */
async function ticksToRun(prefix: string): Promise<number> {
  const queue = new Bull('tick', redis.url, { prefix });
  try {
    const counts = await queue.getJobCounts();
    return counts.waiting + counts.delayed + counts.active;
  } finally {
    await queue.close();
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
    await a.scheduler.declare('every-minute', EVERY_MINUTE, 'tick');
    await b.scheduler.declare('every-minute', EVERY_MINUTE, 'tick');
    expect((await a.scheduler.list())[0].nextRunAt).toBe('2026-11-23T10:01:00.000Z');

    expect(await a.scheduler.runDue()).toBe(0); // not due yet
    now = new Date('2026-11-23T10:01:05Z');
    const both = await Promise.all([a.scheduler.runDue(), b.scheduler.runDue(), a.scheduler.runDue()]);
    expect(both.reduce((s, n) => s + n, 0)).toBe(1);
    await eventually(async () => ran.length === 1, 'the first tick to run', 10_000);
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
    await eventually(async () => ran.length === 2, 'the missed tick to run', 10_000);
    expect(ran[1]).toBe('every-minute@2026-11-23T10:02:00.000Z');
    expect(await a2.scheduler.runDue()).toBe(0);
    const [info] = await a2.scheduler.list();
    expect(info.nextRunAt).toBe('2026-11-23T10:03:00.000Z');
    // Nothing more comes: every job enqueued so far is in Redis, and none is left to run.
    await eventually(async () => (await ticksToRun(prefix)) === 0, 'no tick left to run in Redis');
    expect(ran).toHaveLength(2);
    await a2.jobs.close();
    await b2.jobs.close();
  }, 60_000);
});
