import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lowercase
const TAIL = 14;

let lastTime = -1;
let lastTail: number[] = [];

/**
 * Prefixed, time-ordered ids (`ns_…`, `sch_…`): 10 chars of milliseconds then 14 random chars, so
 * ids sort by creation time and cursor pagination can use them. Within one millisecond the tail is
 * incremented (as ULIDs do), so ids made in order by one process also sort in that order.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === lastTime) {
    let i = TAIL - 1;
    while (i >= 0 && lastTail[i] === 31) lastTail[i--] = 0;
    if (i >= 0) lastTail[i] += 1;
  } else {
    lastTime = now;
    lastTail = [...randomBytes(TAIL)].map((b) => b % 32);
    lastTail[0] = lastTail[0] % 16; // leave room to increment without wrapping
  }
  return `${prefix}_${timeHead(now)}${lastTail.map((d) => ALPHABET[d]).join('')}`;
}

/** The lowest id of `prefix` made at `time` or later: a time window of rows read through their primary key. */
export function idAt(prefix: string, time: Date): string {
  return `${prefix}_${timeHead(time.getTime())}`;
}

function timeHead(ms: number): string {
  let time = ms;
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  return head;
}
