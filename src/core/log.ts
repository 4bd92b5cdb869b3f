import pino, { Logger } from 'pino';

/**
 * Paths censored in every log line. Secrets are also never passed to the logger on purpose;
 * this list is the safety net for objects logged whole (requests, configs, connection specs).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  'password',
  'passphrase',
  'privateKey',
  'secret',
  'secretAccessKey',
  'sessionToken',
  'apiKey',
  'encryptionKey',
  'metricsToken',
  'databaseUrl',
  'redisUrl',
  '*.password',
  '*.passphrase',
  '*.privateKey',
  '*.secret',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.apiKey',
  '*.encryptionKey',
  '*.metricsToken',
  '*.databaseUrl',
  '*.redisUrl',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'cdp' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
