/**
 * The time source of everything scheduled (dataset expirations, dataflow runs, population
 * refreshes). Tests replace `now` to move time without waiting.
 */
export interface Clock {
  now(): Date;
}

export function systemClock(): Clock {
  return { now: () => new Date() };
}
