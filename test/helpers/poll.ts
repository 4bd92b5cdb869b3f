/**
 * Thrown by an eventually() condition when the outcome can no longer come (a job failed, a process
 * exited): the wait ends at once with this error instead of polling until the deadline.
 */
export class GiveUp extends Error {}

/**
 * The one way tests wait for work: poll `fn` until it returns something truthy, and return that,
 * or throw once `timeoutMs` has passed. An error thrown by `fn` counts as "not yet" (e.g. the
 * service is restarting) and is quoted if the wait times out; a GiveUp ends the wait at once.
 * `what` names what is awaited; a function is asked at the deadline (e.g. for the last state seen).
 */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, what: string | (() => string), timeoutMs = 15_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = err; // e.g. the service is restarting: keep polling until the deadline
    }
    if (Date.now() > deadline) {
      const awaited = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${awaited}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
