/**
 * `… run <id> [--watch]` for dataflows and activations: start a run, then (with --watch) poll it,
 * keeping one status line on stderr (redrawn on a terminal, a new line per change otherwise), and
 * print the final run on stdout. A failed run exits 1; Ctrl-C stops watching, not the run.
 */
import { CliError, EXIT } from '../exit';
import { interruptible } from './context';
import { printJson, say, seconds } from './output';

export interface RunLike {
  id: string;
  status: string;
  error: string | null;
}

export interface RunCommand<R extends RunLike> {
  /** e.g. `dataflow run` */
  what: string;
  start: () => Promise<R>;
  get: (runId: string) => Promise<R>;
  /** The changing part of the status line (counts so far). */
  progress: (run: R) => string;
  /** `name  value` lines of the final run. */
  summary: (run: R) => void;
  /** Why a failed run failed, in one line. */
  failure: (run: R) => string;
  /** How to look at the run again, for the Ctrl-C message. */
  lookAgain: (run: R) => string;
}

const DONE = new Set(['success', 'failed']);

export async function runCommand<R extends RunLike>(cmd: RunCommand<R>, opts: { watch?: boolean; json?: boolean; interval: number }): Promise<void> {
  let run = await cmd.start();
  if (opts.watch) run = await watch(cmd, run, opts.interval * 1000);
  if (opts.json) printJson(run);
  else cmd.summary(run);
  if (run.status === 'failed') throw new CliError(`${cmd.what} ${run.id} failed: ${cmd.failure(run)}`, EXIT.failed);
}

async function watch<R extends RunLike>(cmd: RunCommand<R>, first: R, everyMs: number): Promise<R> {
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let shown = '';
  const show = (run: R) => {
    const text = `${cmd.what} ${run.id}: ${run.status}${cmd.progress(run)}`;
    if (tty) process.stderr.write(`\r\x1b[2K${text} (${seconds(Date.now() - started)})`);
    else if (text !== shown) say(text);
    shown = text;
  };
  const ctrlC = interruptible();
  let run = first;
  try {
    for (;;) {
      show(run);
      if (DONE.has(run.status)) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        ctrlC.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (ctrlC.signal.aborted) {
        if (tty) process.stderr.write('\n');
        throw new CliError(`stopped watching; ${cmd.what} ${run.id} goes on (${cmd.lookAgain(run)})`, EXIT.interrupted);
      }
      run = await cmd.get(run.id);
    }
  } finally {
    ctrlC.done();
  }
  if (tty) process.stderr.write('\n');
  return run;
}
