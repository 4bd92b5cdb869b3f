/**
 * Helper process of the collection benchmark: autocannon on loopback, bounded in connections and
 * duration, POSTing pre-generated pixel bodies in turn. Sends autocannon's summary to the parent,
 * with the numbers of the requests answered 2xx: each request's events carry its number
 * (`properties.benchRequest`), so the parent can tell stored-and-acknowledged events from events
 * of requests still in flight when the load stopped.
 *
 *   (forked by bench/collect.ts) node dist/bench/load.js '<json options>'
 */
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
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2]) as LoadOptions;
  const bodies = pixelBodies(o.bodies, o.eventsPerRequest, o.seed);
  let next = 0;
  const acknowledged: number[] = [];
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
          return { ...req, body: bodies[n % bodies.length].replaceAll('"properties":{', `"properties":{"benchRequest":${n},`) };
        },
        onResponse: (status, _body, context) => {
          if (status >= 200 && status < 300) acknowledged.push((context as { request: number }).request);
        },
      },
    ],
  });
  process.send!({
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
  });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
