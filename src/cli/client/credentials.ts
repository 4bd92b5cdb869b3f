/**
 * Where the client commands find the service and the key: CDP_URL / CDP_API_KEY, else the file
 * `cdp login` wrote. The file is the user's alone (0600, in a 0700 folder), like ~/.aws/credentials.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkApiUrl, type ClientConfig } from '../../config';
import { usageError } from '../exit';

export interface Credentials {
  url: string;
  apiKey: string;
}

export interface Connection extends Credentials {
  /** Where the key came from, to say so in messages (never the key itself). */
  keySource: 'CDP_API_KEY' | 'cdp login';
}

export function readCredentials(file: string): Credentials | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw usageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let parsed: Partial<Credentials>;
  try {
    parsed = JSON.parse(text) as Partial<Credentials>;
  } catch {
    throw usageError(`${file} is not valid JSON: run \`cdp login\` again`);
  }
  if (typeof parsed.url !== 'string' || typeof parsed.apiKey !== 'string') throw usageError(`${file} lacks url or apiKey: run \`cdp login\` again`);
  try {
    checkApiUrl(parsed.url, file);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  return { url: parsed.url, apiKey: parsed.apiKey };
}

/** Writes the file readable by its owner only; a new folder is 0700. Replaced atomically. */
export function writeCredentials(file: string, credentials: Credentials): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  // The mode is given at creation so the key is never readable by others, even for a moment.
  fs.writeFileSync(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'w' });
  fs.chmodSync(tmp, 0o600); // in case a file of that name existed with another mode
  fs.renameSync(tmp, file);
}

export function removeCredentials(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * The URL and key to use. Each environment variable wins over the file; the file's key is sent only
 * to the file's URL, so pointing CDP_URL elsewhere never hands a saved key to another server.
 */
export function resolveConnection(config: ClientConfig): Connection {
  const saved = readCredentials(config.credentialsFile);
  const url = config.url ?? saved?.url;
  if (!url) throw usageError('no service configured: run `cdp login`, or set CDP_URL and CDP_API_KEY');
  if (config.apiKey) return { url, apiKey: config.apiKey, keySource: 'CDP_API_KEY' };
  if (!saved) throw usageError('no API key: set CDP_API_KEY, or run `cdp login`');
  if (saved.url !== url) {
    throw usageError(`CDP_URL is ${url} but the key saved by \`cdp login\` is for ${saved.url}: set CDP_API_KEY too, or run \`cdp login --url ${url}\``);
  }
  return { url, apiKey: saved.apiKey, keySource: 'cdp login' };
}
