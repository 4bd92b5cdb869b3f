/**
 * Credentials at rest (source and destination connections): AES-256-GCM with a 32-byte key from
 * CDP_ENCRYPTION_KEY, or — on the embedded default — a key generated once into the data folder
 * (mode 0600). Sealed values carry a version tag so the format can evolve.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { ruleError } from './errors';

const VERSION = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.key = key;
  }

  /** Encrypts a JSON-serialisable value. */
  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  /**
   * Names of the credentials a sealed value holds (what the API may show instead of the values);
   * none when it cannot be opened with this key.
   */
  namesIn(sealed: string): string[] {
    try {
      const values = this.open<Record<string, unknown>>(sealed);
      return Object.keys(values).filter((k) => values[k] !== undefined && values[k] !== '');
    } catch {
      return [];
    }
  }

  open<T = unknown>(sealed: string): T {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('sealed secret has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    try {
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch (err) {
      throw new Error('sealed secret cannot be opened with this key (was CDP_ENCRYPTION_KEY changed?)', { cause: err });
    }
  }
}

/** The configured key, or the embedded default's generated key file. */
export function secretBoxFor(config: Config): SecretBox {
  if (config.encryptionKey) return new SecretBox(Buffer.from(config.encryptionKey, 'base64'));
  if (config.databaseUrl) {
    // Several machines share that database: a key generated on one would not open on another.
    throw new Error('CDP_ENCRYPTION_KEY is required when DATABASE_URL is set (generate one with `openssl rand -base64 32`)');
  }
  const file = path.join(config.dataDir, 'encryption-key');
  fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return new SecretBox(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64'));
}

/** Stored credentials never follow a connection or destination to another server. */
export function requireCredentialsOnRetarget(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  credentials: Record<string, unknown> | undefined,
  targetKeys: string[],
): void {
  const moved = targetKeys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  if (moved.length && !credentials) {
    throw ruleError('/credentials', 'required-on-retarget', `Changing ${moved.join(', ')} needs the credentials again: stored credentials are never sent to a new server`);
  }
}

