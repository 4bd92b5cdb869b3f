/**
 * `cdp login` / `cdp logout`: keep the service URL and an API key for the client commands. On a
 * terminal it asks (@inquirer/prompts; the key as a password prompt, never echoed); scripts give
 * --url and pipe the key on stdin (`--api-key` works too, but shows in `ps` and shell history).
 * The key is checked against GET /v1/accounts/me before it is written, and never printed.
 */
import type { Command } from 'commander';
import type { AdAccount } from '../../accounts/service';
import { checkApiUrl } from '../../config';
import type { Caller } from '../../core/types';
import { CliError, EXIT, usageError } from '../exit';
import { answer, apiFor } from './api';
import { clientConfig } from './context';
import { readCredentials, removeCredentials, writeCredentials } from './credentials';
import { say } from './output';

const DEFAULT_URL = 'http://127.0.0.1:8080';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** Asks on stderr, so `cdp login > out` keeps stdout for the result. Ctrl-C is an interruption. */
async function ask<T>(prompt: (ctx: { output: NodeJS.WritableStream }) => Promise<T>): Promise<T> {
  try {
    return await prompt({ output: process.stderr });
  } catch (err) {
    if ((err as Error).name === 'ExitPromptError') throw new CliError('interrupted: nothing was saved', EXIT.interrupted);
    throw err;
  }
}

async function login(opts: { url?: string; apiKey?: string }, version: string): Promise<void> {
  const config = clientConfig();
  const file = config.credentialsFile;
  const saved = readCredentials(file);
  const interactive = process.stdin.isTTY === true;
  // @inquirer/prompts is an ES module: loaded only when a terminal is there to answer.
  const prompts = interactive ? await import('@inquirer/prompts') : undefined;

  let url = opts.url ?? (prompts ? undefined : config.url);
  if (url === undefined && prompts) {
    url = await ask((ctx) =>
      prompts.input(
        {
          message: 'Service URL',
          default: config.url ?? saved?.url ?? DEFAULT_URL,
          validate: (v) => {
            try {
              checkApiUrl(v.trim(), 'the URL');
              return true;
            } catch (err) {
              return (err as Error).message.replace(/^Configuration: /, '');
            }
          },
        },
        ctx,
      ),
    );
  }
  if (url === undefined) throw usageError('no URL: give --url (or set CDP_URL)');
  url = url.trim().replace(/\/+$/, '');
  try {
    checkApiUrl(url, '--url');
  } catch (err) {
    throw usageError((err as Error).message.replace(/^Configuration: /, ''));
  }

  let apiKey = opts.apiKey;
  if (apiKey === undefined && prompts) apiKey = await ask((ctx) => prompts.password({ message: 'API key', mask: '*', validate: (v) => v.trim() !== '' || 'paste the key (cdp_…)' }, ctx));
  if (apiKey === undefined && !interactive) apiKey = await readStdin();
  apiKey = apiKey?.trim();
  if (!apiKey) throw usageError('no API key: pipe it on stdin (echo "$KEY" | cdp login --url …) or give --api-key');

  const api = apiFor({ url, apiKey }, `cdp/${version}`);
  const me = await answer<{ caller: Caller; adAccount: AdAccount }>({ url }, api.GET('/v1/accounts/me'));
  writeCredentials(file, { url, apiKey });
  process.stdout.write(`logged in to ${url} as ${me.caller.role} of ad account ${me.adAccount.name} (${me.adAccount.id}); saved to ${file}\n`);
  if (config.apiKey) say('note: CDP_API_KEY is set, and wins over the saved key while it is');
  if (config.url && config.url !== url) say(`note: CDP_URL is set to ${config.url}, and wins over the saved URL while it is`);
}

function logout(): void {
  const config = clientConfig();
  const removed = removeCredentials(config.credentialsFile);
  process.stdout.write(removed ? `removed ${config.credentialsFile}\n` : `not logged in (no ${config.credentialsFile})\n`);
  if (config.apiKey) say('note: CDP_API_KEY is still set in this environment');
}

export function addLoginCommands(program: Command, version: string): void {
  program
    .command('login')
    .description('save the service URL and an API key for the client commands (asks on a terminal; scripts pipe the key on stdin)')
    .option('--url <url>', `the API's URL (default on a terminal: ${DEFAULT_URL})`)
    .option('--api-key <key>', 'the key (visible to other local users in ps; prefer stdin or the prompt)')
    .action((opts: { url?: string; apiKey?: string }) => login(opts, version));
  program
    .command('logout')
    .description('forget the saved URL and key')
    .action(() => logout());
}
