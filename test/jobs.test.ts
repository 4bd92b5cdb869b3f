/**
 * One contract, two implementations: the in-process queue (embedded default) and Bull on a real
 * Redis must behave the same for the things handlers rely on.
 */
import { BullJobQueue, InProcessJobQueue, JobQueue, validateCron } from '../src/core/jobs';
import { redisUrl, testLog } from './helpers/harness';

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

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
    const info = await waitFor(async () => {
      const j = await jobs.get('double', id);
      return j?.status === 'completed' ? j : null;
    });
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
    const a = await waitFor(async () => ((await jobs.get('flaky', flaky))?.status === 'completed' ? jobs.get('flaky', flaky) : null));
    expect(a?.attemptsMade).toBe(2);
    expect(calls).toBe(2);
    const b = await waitFor(async () => ((await jobs.get('broken', broken))?.status === 'failed' ? jobs.get('broken', broken) : null));
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
    await waitFor(async () => (await jobs.get('once', 'file-1'))?.status === 'active');
    release();
    await waitFor(async () => (await jobs.get('once', 'file-1'))?.status === 'completed');
    expect(calls).toBe(1);
  });

  it('delays a job', async () => {
    jobs.define('later', async () => Date.now());
    await jobs.start();
    const queuedAt = Date.now();
    const id = await jobs.enqueue('later', {}, { delayMs: 300 });
    const info = await waitFor(async () => {
      const j = await jobs.get('later', id);
      return j?.status === 'completed' ? j : null;
    });
    expect(Number(info.result) - queuedAt).toBeGreaterThanOrEqual(250);
  });

  it('answers ping while open', async () => {
    await expect(jobs.ping()).resolves.toBeUndefined();
  });
});

describe('cron validation', () => {
  it('accepts UTC cron expressions and explains bad ones', () => {
    expect(validateCron('0 3 * * *')).toBeNull();
    expect(validateCron('61 3 * * *')).toMatch(/./);
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
      await waitFor(async () => {
        const states = await Promise.all(ids.map((id) => producer.get('work', id)));
        return states.every((s) => s?.status === 'completed');
      }, 20_000);
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
