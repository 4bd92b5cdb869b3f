/** A counting semaphore: at most `free` holders at once, waiters served in order (a few lines; no library needed). */
export class Slots {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

const streamSlotsByDb = new WeakMap<object, Slots>();

/**
 * The one set of slots for requests that hold a database connection while a client streams a body
 * (batch files, customer-file and friend-group uploads, bulk reactions): at most half the pool, so
 * slow senders never take every connection from the API.
 */
export function streamSlots(db: { client: unknown }): Slots {
  let slots = streamSlotsByDb.get(db);
  if (!slots) {
    const client = db.client as { pool?: { max?: number }; config?: { pool?: { max?: number } } };
    const poolMax = client.pool?.max ?? client.config?.pool?.max ?? 10;
    slots = new Slots(Math.max(1, Math.floor(poolMax / 2)));
    streamSlotsByDb.set(db, slots);
  }
  return slots;
}
