/**
 * `cdp dataflows run <id>` and `cdp activations run <id>`, through the runs endpoints
 * (POST /v1/dataflows/{id}/runs, POST /v1/activations/{id}/runs and their GET …/runs/{runId}).
 */
import type { Command } from 'commander';
import type { ActivationRun } from '../../activation/types';
import type { DataflowRun } from '../../dataflows/types';
import { answer } from './api';
import { connect, numberOption } from './context';
import { count, printFields } from './output';
import { runCommand } from './watch';

interface RunOptions {
  watch?: boolean;
  json?: boolean;
  interval: string;
}

function withRunOptions(cmd: Command): Command {
  return cmd
    .option('--watch', 'show the run live on stderr until it ends; exit 1 if it failed')
    .option('--interval <seconds>', 'how often --watch asks', '1')
    .option('--json', 'print the run as JSON');
}

const interval = (opts: RunOptions) => numberOption(opts.interval, '--interval', 0.2, 3600)!;

async function dataflowRun(id: string, opts: RunOptions, version: string): Promise<void> {
  const { conn, api } = connect(version);
  const get = (runId: string) => answer<DataflowRun>(conn, api.GET('/v1/dataflows/{id}/runs/{runId}', { params: { path: { id, runId } } }));
  await runCommand<DataflowRun>(
    {
      what: 'dataflow run',
      start: () => answer<DataflowRun>(conn, api.POST('/v1/dataflows/{id}/runs', { params: { path: { id } } })),
      get,
      progress: (r) => (r.status === 'queued' ? '' : ` — files ${r.counts.filesIngested}/${r.counts.filesFound} ingested, ${r.counts.filesFailed} failed; rows ${count(r.counts.output)} loaded, ${count(r.counts.failed)} refused`),
      summary: (r) =>
        printFields([
          ['run', r.id],
          ['status', r.status],
          ['files', `found ${r.counts.filesFound}, ingested ${r.counts.filesIngested}, failed ${r.counts.filesFailed}`],
          ['rows', `input ${r.counts.input}, output ${r.counts.output}, failed ${r.counts.failed}`],
          ...(r.files ?? []).map((f): [string, string] => ['file', `${f.path}  ${f.status}${f.batchId ? `  ${f.batchId}` : ''}${f.error ? `  ${f.error}` : ''}`]),
        ]),
      failure: (r) => r.error ?? (r.files ?? []).find((f) => f.error)?.error ?? 'no reason given',
      lookAgain: (r) => `GET /v1/dataflows/${id}/runs/${r.id}`,
    },
    { ...opts, interval: interval(opts) },
  );
}

async function activationRun(id: string, opts: RunOptions, version: string): Promise<void> {
  const { conn, api } = connect(version);
  await runCommand<ActivationRun>(
    {
      what: 'activation run',
      start: () => answer<ActivationRun>(conn, api.POST('/v1/activations/{id}/runs', { params: { path: { id } } })),
      get: (runId) => answer<ActivationRun>(conn, api.GET('/v1/activations/{id}/runs/{runId}', { params: { path: { id, runId } } })),
      progress: (r) => (r.status === 'queued' ? '' : ` — ${count(r.counts.activated)} activated, ${r.files.length} files`),
      summary: (r) =>
        printFields([
          ['run', r.id],
          ['status', r.status],
          ['received', r.counts.received],
          ['activated', r.counts.activated],
          ['excluded', `${r.counts.excludedMandatory} without a mandatory field, ${r.counts.excludedDuplicates} duplicates`],
          ['failed', r.counts.failed],
          ...r.files.map((f): [string, string] => ['file', `${f.path}  ${f.rows} rows`]),
        ]),
      failure: (r) => (r.violation ? `blocked by ${r.violation.violations.map((v) => v.policy.name).join(', ')}` : (r.error ?? 'no reason given')),
      lookAgain: (r) => `GET /v1/activations/${id}/runs/${r.id}`,
    },
    { ...opts, interval: interval(opts) },
  );
}

export function addRunCommands(program: Command, version: string): void {
  const dataflows = program.command('dataflows').description('dataflows of a running service');
  withRunOptions(dataflows.command('run').description('run a dataflow now (only files not ingested before); without --watch print the queued run').argument('<dataflowId>', 'dataflow id')).action(
    (id: string, opts: RunOptions) => dataflowRun(id, opts, version),
  );
  const activations = program.command('activations').description('activations of a running service');
  withRunOptions(activations.command('run').description('export an activation now (policies are checked again first); without --watch print the queued run').argument('<activationId>', 'activation id')).action(
    (id: string, opts: RunOptions) => activationRun(id, opts, version),
  );
}
