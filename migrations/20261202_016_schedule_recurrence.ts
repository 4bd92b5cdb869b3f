import type { Knex } from 'knex';

/**
 * Worker schedules use the one schedule format of the service (src/core/schedule.ts) instead of
 * cron text. The crons shipped so far are translated; workers declare theirs again at start, so
 * a row of another cron is dropped and declared afresh.
 */
const KNOWN: Record<string, object> = {
  '* * * * *': { frequency: 'minute', interval: 1, startAt: '2000-01-01T00:00:00.000Z' },
  '17 * * * *': { frequency: 'hour', interval: 1, startAt: '2000-01-01T00:17:00.000Z' },
  '17 3 * * *': { frequency: 'day', interval: 1, startAt: '2000-01-01T03:17:00.000Z' },
  '27 3 * * *': { frequency: 'day', interval: 1, startAt: '2000-01-01T03:27:00.000Z' },
};

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table schedules add column recurrence jsonb');
  for (const [cron, recurrence] of Object.entries(KNOWN)) await knex('schedules').where({ cron }).update({ recurrence: JSON.stringify(recurrence) });
  await knex('schedules').whereNull('recurrence').delete();
  await knex.raw('alter table schedules alter column recurrence set not null, drop column cron');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`alter table schedules add column cron text not null default '* * * * *'`);
  await knex.raw('alter table schedules drop column recurrence');
}
