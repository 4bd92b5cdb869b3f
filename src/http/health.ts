/**
 * GET /v1/health: whether the database and the job queue answer. Each check has its own deadline,
 * so the report comes back promptly while PostgreSQL is down or the pool has no free connection
 * (knex would otherwise wait 60 s for one).
 */
import type { Db } from '../core/db';
import type { JobQueue } from '../core/jobs';
import { connectionFailureReason } from './problem';

export const HEALTH_CHECK_TIMEOUT_MS = 2000;

export async function healthReport(db: Db, jobs: JobQueue, timeoutMs = HEALTH_CHECK_TIMEOUT_MS): Promise<Record<string, unknown>> {
  const [database, queue] = await Promise.all([check(() => db.raw('select 1'), timeoutMs), check(() => jobs.ping(), timeoutMs)]);
  return { status: database === 'ok' && queue === 'ok' ? 'ok' : 'degraded', database, jobs: { kind: jobs.kind, status: queue } };
}

async function check(fn: () => PromiseLike<unknown>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`unavailable: no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const answer = Promise.resolve()
    .then(fn)
    .then(
      () => 'ok',
      (err: unknown) => `unavailable: ${connectionFailureReason(err) ?? withoutUrls((err as Error)?.message ?? String(err))}`,
    );
  try {
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

// The report is public: a message that quotes a connection URL must not show its credentials.
function withoutUrls(message: string): string {
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>');
}
