/**
 * One contract, two implementations: the in-process queue (embedded default) and Bull on a real
 * Redis must behave the same for the things handlers rely on.
 */
import { BullJobQueue, InProcessJobQueue, JobQueue } from '../src/core/jobs';
import { dailyAt, EVERY_MINUTE, hourlyAt, nextDailyAt, nextSlot } from '../src/core/schedule';
import { redisUrl, testLog } from './helpers/harness';
import { eventually } from './helpers/poll';

const implementations: [string, () => JobQueue][] = [
  ['in-process', () => new InProcessJobQueue(testLog, 2)],
  ['bull', () => new BullJobQueue(redisUrl(), `cdp-test-${process.pid}-${Date.now()}`, testLog, 2)],
];

describe.each(implementations)('%s job queue', (_kind, make) => {
  let jobs: JobQueue;
  beforeEach(() => {
    jobs = make();
  });
  afterEach(async () => jobs.close());

  it('runs an enqueued job with its data and records the result', async () => {
    const seen: unknown[] = [];
    jobs.define<{ n: number }>('double', async (data) => {
      seen.push(data);
      return data.n * 2;
    });
    await jobs.start();
    const id = await jobs.enqueue('double', { n: 21 });
    const info = await eventually(async () => {
      const j = await jobs.get('double', id);
      return j?.status === 'completed' ? j : null;
    }, 'the job to complete', 10_000);
    expect(info.result).toBe(42);
    expect(seen).toEqual([{ n: 21 }]);
  });

  it('retries a failing job with backoff and reports the final failure reason', async () => {
    let calls = 0;
    jobs.define('flaky', async (_data, job) => {
      calls += 1;
      if (job.attempt < 2) throw new Error(`boom ${job.attempt}`);
      return 'ok';
    });
    jobs.define('broken', async () => {
      throw new Error('always broken');
    });
    await jobs.start();
    const flaky = await jobs.enqueue('flaky', {}, { attempts: 3, backoffMs: 10 });
    const broken = await jobs.enqueue('broken', {}, { attempts: 2, backoffMs: 10 });
    const a = await eventually(async () => ((await jobs.get('flaky', flaky))?.status === 'completed' ? jobs.get('flaky', flaky) : null), 'the flaky job to complete', 10_000);
    expect(a?.attemptsMade).toBe(2);
    expect(calls).toBe(2);
    const b = await eventually(async () => ((await jobs.get('broken', broken))?.status === 'failed' ? jobs.get('broken', broken) : null), 'the broken job to fail', 10_000);
    expect(b?.attemptsMade).toBe(2);
    expect(b?.failedReason).toBe('always broken');
  });

  it('deduplicates by job id', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    jobs.define('once', async () => {
      calls += 1;
      await gate;
    });
    await jobs.start();
    await jobs.enqueue('once', {}, { jobId: 'file-1' });
    await jobs.enqueue('once', {}, { jobId: 'file-1' });
    await eventually(async () => (await jobs.get('once', 'file-1'))?.status === 'active', 'the job to start', 10_000);
    release();
    await eventually(async () => (await jobs.get('once', 'file-1'))?.status === 'completed', 'the job to complete', 10_000);
    expect(calls).toBe(1);
  });

  it('delays a job', async () => {
    jobs.define('later', async () => Date.now());
    await jobs.start();
    const queuedAt = Date.now();
    const id = await jobs.enqueue('later', {}, { delayMs: 300 });
    const info = await eventually(async () => {
      const j = await jobs.get('later', id);
      return j?.status === 'completed' ? j : null;
    }, 'the delayed job to complete', 10_000);
    expect(Number(info.result) - queuedAt).toBeGreaterThanOrEqual(250);
  });

  it('answers ping while open', async () => {
    await expect(jobs.ping()).resolves.toBeUndefined();
  });
});

describe('the one schedule format', () => {
  it('gives the next slot strictly after a time: every minute, hourly at :17, daily at 03:17, once', () => {
    const at = new Date('2026-11-23T10:00:30Z');
    expect(nextSlot(EVERY_MINUTE, at, at)?.toISOString()).toBe('2026-11-23T10:01:00.000Z');
    expect(nextSlot(EVERY_MINUTE, at, new Date('2026-11-23T10:01:00Z'))?.toISOString()).toBe('2026-11-23T10:02:00.000Z');
    expect(nextSlot(hourlyAt(17), at, at)?.toISOString()).toBe('2026-11-23T10:17:00.000Z');
    expect(nextSlot(dailyAt('03:17'), at, at)?.toISOString()).toBe('2026-11-24T03:17:00.000Z');
    expect(nextDailyAt('10:00', at).toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(nextDailyAt('10:01', at).toISOString()).toBe('2026-11-23T10:01:00.000Z');
    const once = { frequency: 'once' as const, startAt: '2026-12-01T00:00:00Z' };
    expect(nextSlot(once, at, null)?.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(nextSlot(once, at, at)).toBeNull();
  });
});

describe('several Bull workers on one Redis', () => {
  it('share the queue: every job runs exactly once, spread over the workers', async () => {
    const prefix = `cdp-share-${process.pid}-${Date.now()}`;
    const producer = new BullJobQueue(redisUrl(), prefix, testLog, 1);
    const workers = [0, 1].map(() => new BullJobQueue(redisUrl(), prefix, testLog, 2));
    const ran: Record<string, number[]> = {};
    try {
      workers.forEach((w, i) =>
        w.define<{ n: number }>('work', async (data) => {
          (ran[data.n] ??= []).push(i);
          await new Promise((r) => setTimeout(r, 20));
        }),
      );
      await Promise.all(workers.map((w) => w.start()));
      const ids: string[] = [];
      for (let n = 0; n < 40; n++) ids.push(await producer.enqueue('work', { n }));
      await eventually(async () => {
        const states = await Promise.all(ids.map((id) => producer.get('work', id)));
        return states.every((s) => s?.status === 'completed');
      }, 'all 40 jobs to complete', 20_000);
      expect(Object.keys(ran)).toHaveLength(40);
      expect(Object.values(ran).every((who) => who.length === 1)).toBe(true);
      const byWorker = [0, 1].map((i) => Object.values(ran).filter((who) => who[0] === i).length);
      expect(byWorker[0]).toBeGreaterThan(0);
      expect(byWorker[1]).toBeGreaterThan(0);
    } finally {
      await Promise.all([producer, ...workers].map((q) => q.close()));
    }
  });
});
