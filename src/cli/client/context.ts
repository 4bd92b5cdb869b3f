/**
 * What every client command starts from: the connection (environment, else `cdp login`'s file) and
 * the typed API client, built when the command runs so `cdp --help` needs neither.
 */
import { loadClientConfig } from '../../config';
import { usageError } from '../exit';
import { apiFor, type Api } from './api';
import { resolveConnection, type Connection } from './credentials';

export interface ClientContext {
  conn: Connection;
  api: Api;
  userAgent: string;
}

export function clientConfig() {
  try {
    return loadClientConfig();
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

export function connect(version: string): ClientContext {
  const conn = resolveConnection(clientConfig());
  const userAgent = `cdp/${version}`;
  return { conn, api: apiFor(conn, userAgent), userAgent };
}

/** An AbortSignal that Ctrl-C fires, so a long command can stop tidily; `done()` restores the default. */
export function interruptible(): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, done: () => process.removeListener('SIGINT', onSigint) };
}

/** A number of a command-line option within bounds, or a usage error naming the option. */
export function numberOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw usageError(`${name} must be a number from ${min} to ${max}, got "${value}"`);
  return n;
}
