/**
 * Workload 5: the public pixel & SDK collection endpoint `POST /v1/collect/{trackId}` under load.
 *
 * autocannon (bench/load.ts, its own process) on loopback, bounded in connections and duration,
 * POSTs `{"events": [...]}` bodies of EVENTS_PER_REQUEST events each (as a site script or an app
 * SDK flushes them), rotating over pre-generated bodies with distinct ADIDs. The service runs with
 * its production code path (validation, rate limiter, group commit: one transaction per batch of
 * concurrent requests, answered after COMMIT); only the rate limit is raised (COLLECT_RATE_PER_SECOND,
 * COLLECT_BURST), since every request comes from one client address.
 *
 * Baseline, same run: the same endpoint answering without writing — the collector's writer in its
 * benchmark-only `discard` mode (TrackerService.configure({ discard: true })): routing, JSON
 * parsing, validation, rate limit and the group-commit wait stay, the transaction goes.
 *
 * No event lost: after the load, the events stored for the tracker are counted by the request that
 * carried them (bench/load.ts numbers each request): events of requests answered 2xx must all be
 * stored.
 *
 * None duplicated: every event carries an eventId. After the load the generator sends again, as a
 * client would, every request that got no answer (in flight when autocannon stopped) and 5 % of
 * the acknowledged ones (BENCH_COLLECT_RETRY_SHARE); then the tracker must hold each event id once
 * (stored rows = distinct ids) and every event of a request acknowledged either time. Ids are
 * `<request>-<index>`; with BENCH_COLLECT_EVENT_IDS=uuid UUID-shaped (random keys, as clients'
 * UUIDs are); with BENCH_COLLECT_EVENT_IDS=0 none, and nothing is retried (the cost of the dedup).
 * Goal: ≥ 5,000 events/s, p99 ≤ 50 ms, none lost, none duplicated.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { sampleDatabase, sized, BenchResult, fmtInt, measure, ratioOf, say, Side, Size, Stack, startStack } from './harness';
import type { RetryResult } from './load';

/** Events per request (BENCH_EVENTS_PER_REQUEST to change): a web page or an app SDK flushes a few at a time. */
export const EVENTS_PER_REQUEST = Number(process.env.BENCH_EVENTS_PER_REQUEST ?? 20);
/** BENCH_COLLECT_EVENT_IDS: `seq` (default, `<request>-<index>`), `uuid` (random keys, as clients' UUIDs are) or `0` (none). */
const EVENT_ID_KIND = process.env.BENCH_COLLECT_EVENT_IDS === '0' ? 'none' : process.env.BENCH_COLLECT_EVENT_IDS === 'uuid' ? 'uuid' : 'seq';
const EVENT_IDS = EVENT_ID_KIND !== 'none';
const RETRY_SHARE = EVENT_IDS ? Number(process.env.BENCH_COLLECT_RETRY_SHARE ?? 0.05) : 0;
const LOAD: Record<Size, { connections: number; durationSeconds: number }> = {
  small: { connections: 16, durationSeconds: 5 },
  full: { connections: 16, durationSeconds: 60 },
};

interface LoadResult {
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  total: number;
  sent: number;
  durationSeconds: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  statusCodes?: Record<string, { count?: number }>;
  /** Numbers of the requests answered 2xx (bench/load.ts). */
  acknowledged: number[];
  /** The requests sent again after the load (null: none). */
  retried: RetryResult | null;
}

function runLoad(opts: { url: string; path: string; connections: number; durationSeconds: number; seed: number; retryShare?: number }): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const options = { retryShare: 0, ...opts, eventsPerRequest: EVENTS_PER_REQUEST, bodies: 2000, eventIds: EVENT_ID_KIND };
    const child = fork(path.join(__dirname, 'load.js'), [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: LoadResult | undefined;
    child.on('message', (m) => (result = m as LoadResult));
    child.on('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`load generator exited with ${code}`))));
  });
}

async function storedEvents(stack: Stack, trackId: string): Promise<number> {
  return (await storedBy(stack, trackId, [])).stored;
}

/**
 * Events stored for the tracker, how many of them came in requests answered 2xx (`acknowledged`:
 * request numbers, a retried one possibly twice), and how many distinct event ids they hold.
 */
async function storedBy(stack: Stack, trackId: string, acknowledged: number[]): Promise<{ stored: number; ofAcknowledged: number; distinctIds: number }> {
  const r = await stack.pg.query(
    `select count(*)::bigint as stored, count(a.n)::bigint as of_acknowledged, count(distinct e.event_id)::bigint as distinct_ids
       from tracker_events e join trackers t on t.id = e.tracker_id
       left join (select distinct unnest($2::bigint[]) as n) a on a.n = (e.properties->>'benchRequest')::bigint
      where t.track_id = $1`,
    [trackId, acknowledged],
  );
  return { stored: Number(r.rows[0].stored), ofAcknowledged: Number(r.rows[0].of_acknowledged), distinctIds: Number(r.rows[0].distinct_ids) };
}

export async function runCollect(size: Size): Promise<BenchResult[]> {
  const load = {
    connections: sized('BENCH_COLLECT_CONNECTIONS', { small: LOAD.small.connections, full: LOAD.full.connections }, size),
    durationSeconds: sized('BENCH_COLLECT_SECONDS', { small: LOAD.small.durationSeconds, full: LOAD.full.durationSeconds }, size),
  };
  const stack = await startStack({ COLLECT_RATE_PER_SECOND: '1000000', COLLECT_BURST: '10000000' });
  const trackers = stack.runtime.services.trackers;
  try {
    const tracker = await stack.api.post('/v1/trackers', { name: `쇼핑몰 픽셀 ${Date.now().toString(36)}` });
    const target = { url: stack.url, path: `/v1/collect/${tracker.trackId}` };
    say(`collect: ${load.connections} connections × ${load.durationSeconds} s, ${EVENTS_PER_REQUEST} events per request, on ${stack.url}`);

    // Warm-up (JIT, pool) without writing, then the baseline, then the project.
    trackers.configure({ discard: true });
    await runLoad({ ...target, connections: load.connections, durationSeconds: 2, seed: 1 });
    const base = await measure(() => runLoad({ ...target, ...load, seed: 2 }));
    trackers.configure({ discard: false });
    const before = await storedEvents(stack, tracker.trackId);
    if (before !== 0) throw new Error(`the baseline stored ${before} events`);
    const sampled = await sampleDatabase(stack.databaseUrl, () => measure(() => runLoad({ ...target, ...load, seed: 3, retryShare: RETRY_SHARE }), 'collect'));
    const proj = sampled.value;
    await trackers.stop().catch(() => undefined); // nothing may still wait: every 2xx was answered after COMMIT
    const p = proj.value;
    const b = base.value;
    const r = p.retried;
    // Requests acknowledged by the load or by their retry, each once.
    const everAcknowledged = [...new Set([...p.acknowledged, ...(r?.acknowledged ?? [])])];
    const { stored, ofAcknowledged, distinctIds } = await storedBy(stack, tracker.trackId, everAcknowledged);
    const acknowledged = p.acknowledged.length * EVENTS_PER_REQUEST; // during the load: the throughput
    const lost = everAcknowledged.length * EVENTS_PER_REQUEST - ofAcknowledged; // acknowledged, not stored
    const inFlight = stored - ofAcknowledged; // stored, never acknowledged: the load stopped first
    const duplicated = EVENT_IDS ? stored - distinctIds : 0; // an event id stored twice
    const unanswered = p.sent - p.total; // requests sent and not answered when autocannon stopped
    const project: Side = { what: `POST /v1/collect/{trackId} (group commit), ${EVENTS_PER_REQUEST} events/request${EVENT_IDS ? ` with eventIds (${EVENT_ID_KIND})` : ''}, p99 ${p.latency.p99} ms`, ms: p.durationSeconds * 1000, amount: acknowledged, unit: 'events', peakRssMb: proj.peakRssMb };
    const baseline: Side = {
      what: `same endpoint answering without writing (writer discard mode), p99 ${b.latency.p99} ms`,
      ms: b.durationSeconds * 1000,
      amount: b.ok2xx * EVENTS_PER_REQUEST,
      unit: 'events',
      peakRssMb: base.peakRssMb,
    };
    const rate = acknowledged / p.durationSeconds;
    const codes = (r: LoadResult) =>
      Object.entries(r.statusCodes ?? {})
        .map(([k, v]) => `${k}: ${fmtInt(v.count ?? 0)}`)
        .join(', ');
    return [
      {
        name: 'collect',
        workload: 'pixel/SDK collection endpoint under load (autocannon, loopback)',
        size: `${load.connections} conns × ${load.durationSeconds} s, ${EVENTS_PER_REQUEST} events/req`,
        project,
        baseline,
        ratioKind: 'throughput',
        ratio: ratioOf('throughput', project, baseline),
        goal: '≥ 5,000 events/s; p99 ≤ 50 ms; 0 lost; 0 duplicated',
        checks: [
          { label: '≥ 5,000 events/s', ok: rate >= 5000, actual: `${fmtInt(rate)}/s` },
          { label: 'p99 ≤ 50 ms', ok: p.latency.p99 <= 50, actual: `${p.latency.p99} ms` },
          { label: 'no acknowledged event lost', ok: lost === 0, actual: `${fmtInt(lost)} lost` },
          ...(EVENT_IDS ? [{ label: 'no event stored twice', ok: duplicated === 0 && (r?.failed ?? 0) === 0, actual: `${fmtInt(duplicated)} duplicated` }] : []),
        ],
        details: [
          `project: ${fmtInt(p.ok2xx)} requests answered 2xx (${codes(p)}; ${p.errors} errors, ${p.timeouts} timeouts) = ${fmtInt(acknowledged)} events acknowledged`,
          ...(r
            ? [
                `  sent again after the load: ${fmtInt(r.requests)} requests (${fmtInt(r.ofAcknowledged)} acknowledged = ${Math.round(RETRY_SHARE * 100)} %, ${fmtInt(r.ofUnanswered)} never answered) = ${fmtInt(r.requests * EVENTS_PER_REQUEST)} events; ${fmtInt(r.acknowledged.length)} answered 2xx with ${fmtInt(r.duplicates)} duplicates (${fmtInt(r.acknowledged.length * EVENTS_PER_REQUEST - r.duplicates)} stored by the retry), ${fmtInt(r.failed)} failed`,
              ]
            : []),
          `  stored for the tracker: ${fmtInt(stored)} = ${fmtInt(ofAcknowledged)} events of ${fmtInt(everAcknowledged.length)} requests acknowledged (by the load or a retry) + ${fmtInt(inFlight)} of requests never acknowledged (${fmtInt(unanswered)} requests sent, never answered by the load)`,
          ...(EVENT_IDS ? [`  distinct event ids stored: ${fmtInt(distinctIds)}; duplicated (stored rows − distinct ids): ${fmtInt(duplicated)}`] : ['  events carry no eventId (BENCH_COLLECT_EVENT_IDS=0): nothing retried']),
          `  lost (acknowledged, not stored): ${fmtInt(lost)}`,
          `project latency: p50 ${p.latency.p50} ms, p90 ${p.latency.p90} ms, p99 ${p.latency.p99} ms, max ${p.latency.max} ms`,
          `baseline: ${fmtInt(b.ok2xx)} requests 2xx (${codes(b)}), ${fmtInt((b.ok2xx * EVENTS_PER_REQUEST) / b.durationSeconds)} events/s; latency p50 ${b.latency.p50} ms, p99 ${b.latency.p99} ms, max ${b.latency.max} ms`,
          'PostgreSQL during the load (backends of the service; sampled every 20 ms):',
          ...sampled.top.map((l) => `  ${l}`),
          'the load generator, the service and PostgreSQL share the machine’s cores',
        ],
      },
    ];
  } finally {
    await stack.close();
  }
}
