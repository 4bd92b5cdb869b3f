/**
 * Helper process of the collection benchmark: autocannon on loopback, bounded in connections and
 * duration, POSTing pre-generated pixel bodies in turn. Sends autocannon's summary to the parent,
 * with the numbers of the requests answered 2xx: each request's events carry its number
 * (`properties.benchRequest`), so the parent can tell stored-and-acknowledged events from events
 * of requests still in flight when the load stopped.
 *
 * Every event carries an `eventId` (`<request>-<index>`, or UUID-shaped, or none: `eventIds`). After the
 * load, as a client would, it sends again every request that got no answer (in flight when the load
 * stopped) and a share (`retryShare`) of the acknowledged ones — a retry after an answer that was
 * lost on the way — and reports their answers: they must be stored once.
 *
 *   (forked by bench/collect.ts) node dist/bench/load.js '<json options>'
 */
import { createHash } from 'node:crypto';
import autocannon from 'autocannon';
import { pixelBodies } from './generate';

interface LoadOptions {
  url: string;
  path: string;
  connections: number;
  durationSeconds: number;
  eventsPerRequest: number;
  bodies: number;
  seed: number;
  /** `seq`: `<request>-<index>`; `uuid`: a UUID-shaped hash of it (random keys, as clients' UUIDs are); `none`. */
  eventIds: 'seq' | 'uuid' | 'none';
  /** Share of the acknowledged requests sent again after the load (0: none, nor the unanswered ones). */
  retryShare: number;
}

export interface RetryResult {
  /** Requests sent again: every unanswered one and the share of the acknowledged ones. */
  requests: number;
  ofAcknowledged: number;
  ofUnanswered: number;
  /** Numbers of the retried requests answered 2xx. */
  acknowledged: number[];
  /** Sum of the 2xx answers' `duplicates`. */
  duplicates: number;
  failed: number;
}

/** The body of request `n`: its events numbered, with an eventId each (the same one when sent again). */
function bodyOf(bodies: string[], n: number, eventIds: LoadOptions['eventIds']): string {
  let i = 0;
  return bodies[n % bodies.length].replaceAll('"properties":{', () => `${eventIds === 'none' ? '' : `"eventId":"${eventIdOf(n, i++, eventIds)}",`}"properties":{"benchRequest":${n},`);
}

function eventIdOf(n: number, i: number, kind: LoadOptions['eventIds']): string {
  if (kind === 'seq') return `${n}-${i}`;
  const h = createHash('md5').update(`${n}-${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function retry(o: LoadOptions, bodies: string[], numbers: number[], acknowledgedCount: number): Promise<RetryResult> {
  const out: RetryResult = { requests: numbers.length, ofAcknowledged: acknowledgedCount, ofUnanswered: numbers.length - acknowledgedCount, acknowledged: [], duplicates: 0, failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < numbers.length) {
      const n = numbers[next++];
      const res = await fetch(`${o.url}${o.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodyOf(bodies, n, o.eventIds) }).catch(() => null);
      if (res && res.status >= 200 && res.status < 300) {
        out.acknowledged.push(n);
        out.duplicates += ((await res.json()) as { duplicates?: number }).duplicates ?? 0;
      } else {
        out.failed++;
        await res?.body?.cancel();
      }
    }
  };
  await Promise.all(Array.from({ length: o.connections }, worker));
  return out;
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]) as LoadOptions;
  const bodies = pixelBodies(o.bodies, o.eventsPerRequest, o.seed);
  let next = 0;
  const acknowledged: number[] = [];
  const answered = new Set<number>();
  const result = await autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.durationSeconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: o.path,
        headers: { 'content-type': 'application/json' },
        // One request in flight per connection (no pipelining), so the connection's context names it.
        setupRequest: (req, context) => {
          const n = ++next;
          (context as { request?: number }).request = n;
          return { ...req, body: bodyOf(bodies, n, o.eventIds) };
        },
        onResponse: (status, _body, context) => {
          const n = (context as { request: number }).request;
          answered.add(n);
          if (status >= 200 && status < 300) acknowledged.push(n);
        },
      },
    ],
  });
  let retried: RetryResult | null = null;
  if (o.retryShare > 0) {
    // Every 1/share-th acknowledged request (spread over the run), then all never answered.
    const every = Math.max(1, Math.round(1 / o.retryShare));
    const again = acknowledged.filter((_n, i) => i % every === every - 1);
    const unanswered: number[] = [];
    for (let n = 1; n <= next; n++) if (!answered.has(n)) unanswered.push(n);
    retried = await retry(o, bodies, [...again, ...unanswered], again.length);
  }
  process.send!(
    {
      ok2xx: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      total: result.requests.total,
      sent: result.requests.sent,
      durationSeconds: result.duration,
      latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
      statusCodes: result.statusCodeStats,
      acknowledged,
      retried,
    },
    // A large message (the numbers of ~50,000 requests) must be on its way before the process ends.
    () => process.exit(0),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
