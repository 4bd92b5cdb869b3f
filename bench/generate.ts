/**
 * Benchmark data on top of src/demo/generate.ts (seeded, streamed, constant memory): customer files
 * of ADIDs with a chosen share of ADIDs the universe knows, and pixel & SDK request bodies.
 */
import { Readable } from 'node:stream';
import { firstPartyPeople, prng, randomAdid } from '../src/demo/generate';

/** Bytes of one ADID line: 36 characters and a newline. */
export const ADID_LINE_BYTES = 37;

export interface AdidFilePlan {
  /** Stop before the file reaches this many bytes (header included). */
  maxBytes: number;
  /** First-party people whose ADIDs (all of them, one or two each) are in the file: `firstPartyPeople(people, seed)`. */
  people: number;
  seed: number;
  /** Share of valid rows repeating an ADID already in the file (customer exports repeat rows). */
  duplicateShare?: number;
  /** Share of rows that are not ADIDs (blank-looking ids, hashed ids, the all-zero id). */
  invalidShare?: number;
}

export interface AdidFileCounts {
  rows: number;
  bytes: number;
  /** Distinct known ADIDs (of the generated people) in the file. */
  known: number;
  unknown: number;
  duplicates: number;
  invalid: number;
}

const INVALID = ['00000000-0000-0000-0000-000000000000', 'not-an-adid', 'N/A', '3f1b2c4d5e6f4a7b8c9d0e1f2a3b4c5d'];

/**
 * A customer file (`adid` header, LF lines) of at most `maxBytes`: every ADID of the first
 * `people` first-party people, spread evenly among random ADIDs nobody knows, plus a few
 * duplicates (some in capitals) and invalid rows. The people are generated lazily (twice: once to
 * count their ADIDs), so memory stays flat whatever the size. `counts` is final once the stream ended.
 */
export function adidFileStream(plan: AdidFilePlan): { stream: Readable; counts: AdidFileCounts } {
  const rand = prng(plan.seed * 31 + 7);
  let knownTotal = 0;
  for (const p of firstPartyPeople(plan.people, plan.seed)) knownTotal += p.adids.length;
  const header = 'adid\n';
  const totalRows = Math.floor((plan.maxBytes - header.length) / ADID_LINE_BYTES);
  if (knownTotal > totalRows) throw new Error(`${knownTotal} known ADIDs do not fit in ${plan.maxBytes} bytes`);
  const dupShare = plan.duplicateShare ?? 0.01;
  const invalidShare = plan.invalidShare ?? 0.0001;
  const counts: AdidFileCounts = { rows: 0, bytes: 0, known: 0, unknown: 0, duplicates: 0, invalid: 0 };
  const people = firstPartyPeople(plan.people, plan.seed);
  const pending: string[] = [];
  const nextKnown = (): string => {
    while (pending.length === 0) pending.push(...people.next().value!.adids);
    counts.known++;
    return pending.shift()!;
  };
  const recent: string[] = [];
  const nextRow = (): string => {
    const rowsLeft = totalRows - counts.rows;
    const knownLeft = knownTotal - counts.known;
    // The last rows take every known ADID not placed yet.
    if (knownLeft >= rowsLeft) return nextKnown();
    const r = rand();
    if (r < invalidShare) {
      counts.invalid++;
      return INVALID[Math.floor(rand() * INVALID.length)];
    }
    if (r < invalidShare + dupShare && recent.length > 0) {
      counts.duplicates++;
      const a = recent[Math.floor(rand() * recent.length)];
      return rand() < 0.5 ? a.toUpperCase() : a;
    }
    let adid: string;
    if (rand() < knownLeft / rowsLeft) adid = nextKnown();
    else {
      adid = randomAdid(rand);
      counts.unknown++;
    }
    if (recent.length < 1000) recent.push(adid);
    else recent[Math.floor(rand() * 1000)] = adid;
    return adid;
  };
  let first = true;
  const stream = new Readable({
    read() {
      let chunk = first ? header : '';
      first = false;
      while (counts.rows < totalRows && chunk.length < 256 * 1024) {
        chunk += nextRow() + '\n';
        counts.rows++;
      }
      counts.bytes += Buffer.byteLength(chunk);
      if (chunk) this.push(chunk);
      if (counts.rows >= totalRows) this.push(null);
    },
  });
  return { stream, counts };
}

export const PIXEL_EVENTS = ['pageView', 'viewContent', 'search', 'addToCart', 'purchase'] as const;

/**
 * `count` distinct request bodies of `eventsPerRequest` pixel events each (`{"events": [...]}`), as
 * a site's script or an app SDK flushes them: ADIDs of a pool of devices, page views mostly, a few
 * carts and purchases with a value. No occurredAt: the collector stamps the receive time.
 */
export function pixelBodies(count: number, eventsPerRequest: number, seed = 5, devices = 50_000): string[] {
  const rand = prng(seed);
  const pool = Array.from({ length: Math.min(devices, count * eventsPerRequest) }, () => randomAdid(rand));
  const bodies: string[] = [];
  for (let b = 0; b < count; b++) {
    const events = [];
    for (let e = 0; e < eventsPerRequest; e++) {
      const r = rand();
      const event = r < 0.7 ? 'pageView' : r < 0.8 ? 'viewContent' : r < 0.88 ? 'search' : r < 0.96 ? 'addToCart' : 'purchase';
      const adid = pool[Math.floor(rand() * pool.length)];
      events.push(
        event === 'purchase'
          ? { event, adid, properties: { value: 10_000 * (1 + Math.floor(rand() * 30)), currency: 'KRW' } }
          : event === 'search'
            ? { event, adid, properties: { keyword: ['겨울 코트', '운동화', '노트북', '선물'][Math.floor(rand() * 4)] } }
            : { event, adid, properties: { path: ['/', '/best', '/sale', '/new', '/item/123'][Math.floor(rand() * 5)] } },
      );
    }
    bodies.push(JSON.stringify({ events }));
  }
  return bodies;
}
