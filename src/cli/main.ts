#!/usr/bin/env node
/**
 * `cdp` — start the service, run workers, migrate, administer accounts and keys; and, as a client
 * of a running service, load files, watch runs and look things up (src/cli/client/).
 * Progress goes to stderr; results (ids, the one-time admin key) to stdout. Logs are JSON.
 * Exit codes: src/cli/exit.ts.
 */
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { loadConfig } from '../config';
import { isCdpError } from '../core/errors';
import { createLogger } from '../core/log';
import { ROLES, type Role } from '../core/types';
import { ACCESS } from '../http/access';
import { version } from '../core/root';
import type { Services } from '../services';
import { addClientCommands } from './client';
import { CliError, EXIT } from './exit';

/**
 * The service's modules, loaded only by the commands that run it or its database (runtime, services,
 * the embedded PostgreSQL): `cdp --help` and the client commands start in a fraction of the 0.9 s
 * that loading them takes.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, on purpose */
function service() {
  return {
    ...(require('../runtime') as typeof import('../runtime')),
    ...(require('../services') as typeof import('../services')),
    ...(require('../core/db') as typeof import('../core/db')),
    ...(require('../core/jobs') as typeof import('../core/jobs')),
    ...(require('../core/secrets') as typeof import('../core/secrets')),
  };
}
function demo() {
  return { ...(require('../demo/flow') as typeof import('../demo/flow')), ...(require('../demo/read-back') as typeof import('../demo/read-back')) };
}
/* eslint-enable @typescript-eslint/no-require-imports */

const progress = (step: string) => process.stderr.write(`… ${step}\n`);

// A reader that stops early (`cdp roles | head -1`) closes the pipe: that is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

function printBootstrap(info: { organizationId: string; adAccountId: string; token: string }): void {
  process.stdout.write(
    [
      '',
      '================ first start: admin key (shown once, store it now) ================',
      `organisation: ${info.organizationId}`,
      `ad account:   ${info.adAccountId}`,
      `admin key:    ${info.token}`,
      '  use it as:  Authorization: Bearer <admin key>',
      '===================================================================================',
      '',
    ].join('\n'),
  );
}

async function serve(mode: 'all' | 'api' | 'worker'): Promise<void> {
  const config = loadConfig();
  // Without Redis a job runs in the process that queued it: an API without workers would run none.
  if (mode === 'api' && !config.redisUrl) throw new Error('cdp start --api-only needs REDIS_URL, so that `cdp worker` processes run the jobs it queues');
  const log = createLogger(config.logLevel);
  const { startRuntime } = service();
  const runtime = await startRuntime({ config, log, mode, onBootstrap: printBootstrap, onProgress: progress });
  progress(`database: ${runtime.databaseDescription}`);
  if (runtime.url) progress(`API listening on ${runtime.url} (try ${runtime.url}/v1/health)${mode === 'api' ? '; no workers in this process' : ''}`);
  else progress('worker running; press Ctrl-C to stop');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      progress(`${signal} again: exiting now; running jobs are retried by another process`);
      process.exit(1);
    }
    stopping = true;
    progress(`${signal}: stopping — finishing requests in flight and running jobs (at most ${config.shutdownTimeoutMs} ms; ${signal} again exits now)`);
    const finished = await runtime.close().catch((err: unknown) => {
      log.error({ err: (err as Error).message }, 'could not stop cleanly');
      return false;
    });
    if (!finished) progress('stopped with work cut off or left running (see the log); it is retried by another process');
    process.exit(finished ? 0 : 1);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/** Runs fn with services on the configured database, without HTTP or workers. */
async function withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { openDatabase, createJobQueue, migrateLatest, createServices, secretBoxFor } = service();
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = await openDatabase(config, log, { attach: true });
  const jobs = createJobQueue({ prefix: config.queuePrefix, log, concurrency: 1 });
  try {
    await migrateLatest(database.db);
    return await fn(createServices(database.db, jobs, log, { secrets: () => secretBoxFor(config) }));
  } finally {
    await jobs.close();
    await database.close();
  }
}

const program = new Command();
// Before any subcommand is added, so each inherits it: usage errors exit 2, not commander's 1.
program.exitOverride();
program.name('cdp').description('Partner-data prospecting CDP').version(version());
program.commandsGroup('Service and administration (on this machine, on its database):');

program
  .command('start')
  .description('run the HTTP API and the workers (embedded PostgreSQL without DATABASE_URL)')
  .option('--api-only', 'serve the API without workers: `cdp worker` processes on the same REDIS_URL run the jobs')
  .action((opts: { apiOnly?: boolean }) => serve(opts.apiOnly ? 'api' : 'all'));
program
  .command('demo')
  .description('start the service on the embedded default and run the end-to-end demo against it, then keep serving')
  .option('--prospects <n>', 'prospects in the generated partner file', '5000')
  .action(async (opts: { prospects: string }) => {
    const config = loadConfig();
    const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    const { startRuntime } = service();
    const { runDemoFlow, readBackCommands } = demo();
    const runtime = await startRuntime({ config, log, mode: 'all', onBootstrap: printBootstrap, onProgress: progress });
    progress(`API listening on ${runtime.url}; running the demo`);
    const s = runtime.services;
    // A fresh ad account per demo, so earlier demos' prospects do not join its audiences.
    const orgId = (await s.accounts.listAllAccounts())[0].organizationId;
    const account = await s.accounts.createAdAccount(s.db, orgId, `Demo ${new Date().toISOString()}`);
    const key = await s.accounts.issueKey(s.db, { organizationId: orgId, adAccountId: account.id, role: 'admin', name: 'demo' });
    const result = await runDemoFlow({
      api: runtime.url!,
      token: key.token,
      workDir: path.join(config.dataDir, 'demo'),
      prospects: Number(opts.prospects),
      say: (line: string) => process.stdout.write(`${line}\n`),
    });
    const out = (line = '') => process.stdout.write(`${line}\n`);
    out();
    out('Exported files');
    for (const f of result.s3.files) out(`  S3        s3://${result.s3.bucket}/${f.path}  (${f.rows} rows, ${f.bytes} bytes, gzip CSV)`);
    for (const f of result.liveRamp.files) out(`  LiveRamp  sftp://${result.liveRamp.username}@${result.liveRamp.host}:${result.liveRamp.port}/${f.path.replace(/^\/+/, '')}  (${f.rows} rows)`);
    out('Read them back as a partner would, while the demo runs (its local S3 and SFTP servers stop with it):');
    const read = readBackCommands(result);
    out(`  ${read.s3List}`);
    for (const c of read.s3Read) out(`  ${c}`);
    for (const c of read.sftpGet) out(`  ${c}`);
    out(`  (sftp asks for the password of the local demo server: ${read.sftpPassword})`);
    out();
    out(`Blocked activation (HTTP ${result.blocked.status}): ${result.blocked.detail}`);
    for (const l of result.blocked.lineage) out(`  lineage: ${l}`);
    out();
    out(`Console: open ${runtime.url}/ in a browser and sign in with this demo key (ad account ${account.id}):`);
    out(`  ${key.token}`);
    out();
    out(`The service keeps running on ${runtime.url} — continue with the API using the same key:`);
    out(`  curl -s ${runtime.url}/v1/audiences -H "Authorization: Bearer ${key.token}"`);
    out(`  curl -s ${runtime.url}/v1/targets -H "Authorization: Bearer ${key.token}"`);
    out('Press Ctrl-C to stop.');
    const stop = async () => {
      await result.servers.stop().catch(() => undefined);
      await runtime.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
  });

program.command('worker').description('run workers only; with REDIS_URL several workers share the queues').action(() => serve('worker'));

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const config = loadConfig();
    const log = createLogger('warn');
    progress(config.databaseUrl ? 'connecting to PostgreSQL' : 'opening the embedded PostgreSQL');
    const { openDatabase, migrateLatest } = service();
    const database = await openDatabase(config, log, { attach: true });
    try {
      progress(`applying migrations (${database.description})`);
      const applied = await migrateLatest(database.db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
    } finally {
      await database.close();
    }
  });

program
  .command('roles')
  .description('print which role may do what')
  .action(() => {
    for (const [permission, roles] of Object.entries(ACCESS)) process.stdout.write(`${permission.padEnd(26)} ${roles.join(', ')}\n`);
  });

const accounts = program.command('accounts').description('organisations, ad accounts and API keys');

accounts
  .command('list')
  .description('list ad accounts')
  .action(() =>
    withServices(async (s) => {
      for (const a of await s.accounts.listAllAccounts()) process.stdout.write(`${a.id}\t${a.organizationId}\t${a.organizationName}\t${a.name}\n`);
    }),
  );

accounts
  .command('create')
  .description('create an ad account (and its organisation unless --org is given) with an admin key')
  .requiredOption('--name <name>', 'ad account name')
  .option('--org <organizationId>', 'existing organisation id')
  .option('--org-name <name>', 'name of the new organisation', 'Organisation')
  .action((opts: { name: string; org?: string; orgName: string }) =>
    withServices(async (s) =>
      s.db.transaction(async (tx) => {
        const orgId = opts.org ?? (await s.accounts.createOrganization(tx, opts.orgName)).id;
        const account = await s.accounts.createAdAccount(tx, orgId, opts.name);
        const issued = await s.accounts.issueKey(tx, { organizationId: orgId, adAccountId: account.id, role: 'admin', name: 'cli admin', orgWide: !opts.org });
        process.stdout.write(`organisation: ${orgId}\nad account:   ${account.id}\nadmin key:    ${issued.token}\n`);
      }),
    ),
  );

const keys = accounts.command('keys').description('API keys of an ad account');
keys
  .command('create')
  .description('issue a key; the token is printed once')
  .requiredOption('--account <adAccountId>', 'ad account id')
  .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
  .option('--name <name>', 'key name', 'cli key')
  .action((opts: { account: string; role: Role; name: string }) =>
    withServices(async (s) => {
      const account = (await s.accounts.listAllAccounts()).find((a) => a.id === opts.account);
      if (!account) throw new Error(`Ad account ${opts.account} not found (see: cdp accounts list)`);
      const issued = await s.accounts.issueKey(s.db, { organizationId: account.organizationId, adAccountId: account.id, role: opts.role, name: opts.name, createdBy: 'cli' });
      process.stdout.write(`${issued.key.id}\t${issued.key.role}\t${issued.token}\n`);
    }),
  );

program.commandsGroup('Client (of a running service: CDP_URL and CDP_API_KEY, or cdp login):');
addClientCommands(program, version());

program.parseAsync(process.argv).catch((err: unknown) => {
  // Commander has written its message (or the help) already.
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
  const message = isCdpError(err) ? `${err.title}: ${err.message}` : (err as Error).message;
  process.stderr.write(`error: ${message}\n`);
  process.exit(err instanceof CliError ? err.exitCode : EXIT.failed);
});
