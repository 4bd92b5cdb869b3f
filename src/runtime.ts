/**
 * Starting and stopping the service: database (embedded or DATABASE_URL), migrations, first-start
 * bootstrap, job queue (Bull or in-process), workers and the HTTP server.
 */
import type { Express } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config';
import { Database, migrateLatest, openDatabase } from './core/db';
import { tuneGarbageCollector } from './core/gc-tuning';
import { Instances } from './core/instances';
import { createJobQueue, JobQueue } from './core/jobs';
import { secretBoxFor } from './core/secrets';
import type { Logger } from './core/log';
import { projectRoot, requestSchemas } from './core/validation';
import { createApp } from './http/app';
import { drainable } from './http/drain';
import { healthReport } from './http/health';
import { metricsApp } from './metrics/routes';
import { allRoutes, createServices, defineJobs, requeueLostRuns, scheduleJobs, Services } from './services';

export interface Runtime {
  services: Services;
  /** Base URL of the API when it serves HTTP. */
  url?: string;
  /** GET /metrics on its own port (METRICS_PORT). */
  metricsUrl?: string;
  app?: Express;
  databaseDescription: string;
  /**
   * Stops gracefully, within SHUTDOWN_TIMEOUT_MS: the API stops accepting connections and answers the
   * requests in flight, periodic work stops, the collector writes the events it acknowledged, workers
   * take no new jobs and finish the running ones, then the pools close. False when the deadline came
   * first: requests still in flight were cut, or jobs still running were left with the database open
   * (the process should exit then; another process retries them).
   */
  close(): Promise<boolean>;
}

export interface RuntimeOptions {
  config: Config;
  log: Logger;
  /** api: HTTP only · worker: jobs only · all: both (cdp start). */
  mode: 'api' | 'worker' | 'all';
  /** Reuse an open database instead of opening one (tests). */
  database?: Database;
  jobs?: JobQueue;
  /** Told once about the admin key created on an empty database. */
  onBootstrap?: (info: { organizationId: string; adAccountId: string; token: string }) => void;
  onProgress?: (step: string) => void;
}

export function version(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(`${projectRoot()}/package.json`) as { version: string }).version;
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  tuneGarbageCollector();
  const { config, log } = opts;
  const progress = opts.onProgress ?? (() => undefined);
  progress(config.databaseUrl ? 'connecting to PostgreSQL' : 'starting embedded PostgreSQL');
  const database = opts.database ?? (await openDatabase(config, log));
  const closers: Closer[] = [];
  if (!opts.database) closers.push(() => database.close());
  try {
    progress('applying migrations');
    const applied = await migrateLatest(database.db);
    if (applied.length) log.info({ migrations: applied }, 'migrations applied');

    // This process among the service's processes: what it owns is taken over if it is killed.
    const instances = new Instances(database.db, log);
    await instances.register();
    closers.unshift(() => instances.close());
    const store = { db: database.db, owner: () => instances.id };
    const jobs = opts.jobs ?? createJobQueue({ redisUrl: config.redisUrl, prefix: config.queuePrefix, log, concurrency: config.workerConcurrency, lockMs: config.jobLockMs, store });
    if (!opts.jobs) {
      closers.unshift(async (deadline) => {
        if (await within(jobs.close(), deadline)) return;
        log.warn({ shutdownTimeoutMs: config.shutdownTimeoutMs }, 'jobs still running at SHUTDOWN_TIMEOUT_MS are left to another process, which retries them');
        return 'left running';
      });
    }
    const services = createServices(database.db, jobs, log, { secrets: () => secretBoxFor(config) });
    services.batches.useInstance(() => instances.id);
    services.dataflows.useInstance(instances);
    services.batches.configure({ partitionRows: config.ingestPartitionRows, maxPartitions: config.ingestMaxPartitions, parseThreads: config.ingestParseThreads });
    closers.push(() => services.batches.stop()); // last: after requests and jobs that load files
    services.trackers.configure({ ratePerSecond: config.collectRatePerSecond, burst: config.collectBurst, flushMs: config.collectFlushMs });
    services.mat.configure({ ratePerSecond: config.postbackRatePerSecond, burst: config.postbackBurst });
    services.populations.configure({ countTimeoutMs: config.populationCountTimeoutMs });
    services.metrics.configure({ token: config.metricsToken });
    // Runs after the HTTP server closed (it is unshifted later) and before jobs and the pool close:
    // events the collector accepted but has not written yet are written first.
    closers.unshift(() => services.trackers.stop());
    defineJobs(services);

    await services.accounts.reseedAll((accountId, err) => log.warn({ accountId, err: (err as Error).message }, 'could not add standard resources to an ad account'));
    const boot = await services.accounts.bootstrap();
    if (boot) {
      log.info({ organizationId: boot.organizationId, adAccountId: boot.adAccount.id, keyId: boot.issued.key.id }, 'first start: created organisation, ad account and admin key');
      opts.onBootstrap?.({ organizationId: boot.organizationId, adAccountId: boot.adAccount.id, token: boot.issued.token });
    }

    if (opts.mode !== 'api') {
      progress(`starting workers (${jobs.kind === 'bull' ? 'Bull on Redis' : 'in-process queue'})`);
      await jobs.start();
      await scheduleJobs(services);
      // Runs whose jobs Redis lost while no worker ran; later losses are found by the minute's pass.
      await requeueLostRuns(services, null).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not look for runs whose jobs were lost; the next pass does'));
      services.scheduler.start(config.schedulerIntervalMs);
      closers.unshift(() => services.scheduler.stop());
    }
    // What stopped processes left (and loads this one could not close while the database was away):
    // taken over now, before serving, and again every RECOVERY_INTERVAL_MS.
    const recovery = new Recovery(instances, jobs, services, log, opts.mode !== 'api');
    await recovery.run();
    recovery.start(RECOVERY_INTERVAL_MS);
    closers.unshift(() => recovery.stop());

    let url: string | undefined;
    let app: Express | undefined;
    if (opts.mode !== 'worker') {
      progress('starting HTTP API');
      app = createApp({
        routes: allRoutes(services),
        accounts: services.accounts,
        validator: requestSchemas(),
        log,
        jsonBodyLimit: config.jsonBodyLimit,
        trustProxy: config.trustProxy,
        version: version(),
        health: () => healthReport(database.db, jobs),
        onResponse: services.metrics.request,
      });
      const server = await listen(app, config.port, config.host);
      const http = drainable(server);
      closers.unshift(async (deadline) => {
        if (await http.drain(Math.max(0, deadline - Date.now()))) return;
        log.warn({ shutdownTimeoutMs: config.shutdownTimeoutMs }, 'requests still in flight at SHUTDOWN_TIMEOUT_MS were cut');
        return 'cut';
      });
      const addr = server.address() as AddressInfo;
      url = `http://${config.host}:${addr.port}`;
    }
    let metricsUrl: string | undefined;
    if (config.metricsPort !== undefined) {
      const server = await listen(metricsApp(services.metrics, log), config.metricsPort, config.host);
      closers.unshift(() => new Promise<void>((resolve) => server.close(() => resolve())));
      metricsUrl = `http://${config.host}:${(server.address() as AddressInfo).port}/metrics`;
    }
    return {
      services,
      url,
      metricsUrl,
      app,
      databaseDescription: database.description,
      close: async () => {
        const deadline = Date.now() + config.shutdownTimeoutMs;
        let finished = true;
        for (const close of closers) {
          const outcome = await close(deadline);
          if (outcome === 'left running') return false; // its jobs still use the pools
          if (outcome === 'cut') finished = false;
        }
        return finished;
      },
    };
  } catch (err) {
    for (const close of closers) await close(Date.now() + config.shutdownTimeoutMs).catch(() => undefined);
    throw err;
  }
}

function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Express 5 hands the callback a listen error (a port in use) too.
    const s = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
}

/**
 * One step of stopping, given the shutdown deadline: 'cut' when it cut work off at the deadline,
 * 'left running' when work still runs (nothing after it may close).
 */
type Closer = (deadline: number) => Promise<void | 'cut' | 'left running'>;

/** Whether `work` settles before `deadline` (it goes on either way). */
async function within(work: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

const RECOVERY_INTERVAL_MS = 10_000;

/** Takes over the work of processes that are gone: their in-process jobs and their file loads. */
class Recovery {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly instances: Instances,
    private readonly jobs: JobQueue,
    private readonly services: Services,
    private readonly log: Logger,
    private readonly runsJobs: boolean,
  ) {}

  async run(): Promise<void> {
    const alive = await this.instances.alive();
    const jobs = this.runsJobs ? await this.jobs.takeOver(alive) : 0;
    const loads = await this.services.batches.recoverLoads(alive, this.instances.id);
    await this.instances.forgetDead(alive);
    if (jobs || loads) this.log.info({ jobs, loads }, 'took over work of stopped processes');
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.run()
        .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'recovery pass failed; retried at the next one'))
        .finally(() => (this.running = undefined));
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
