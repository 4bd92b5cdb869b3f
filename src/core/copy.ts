/**
 * COPY on one pooled connection: the one place the service drives pg-copy-streams — `copyIn` for
 * loads (batch files, customer-file and friend-group uploads), `withConnection` for the exports'
 * `COPY … TO STDOUT`.
 *
 * Why not plain `copy.destroy(err)` to give up: pg-copy-streams answers destroy() with a CopyFail
 * message on its connection, and once the backend has gone (a restart, pg_terminate_backend) it has
 * already set that connection to null, so destroy() throws from inside the stream machinery and the
 * error surfaces as an unhandled 'error' event that kills the process. Here an error listener is
 * always attached, and giving up sends CopyFail only while the connection is alive; otherwise the
 * connection is marked for the pool to discard.
 */
import { once } from 'node:events';
import { from as copyFrom } from 'pg-copy-streams';
import type { Queryable } from './db';

/** How long giving up on a COPY waits for PostgreSQL to acknowledge it (a backend gone never does). */
const ABORT_WAIT_MS = 5_000;

type CopyStream = ReturnType<typeof copyFrom> & { connection?: unknown };
/** What knex hands out from acquireConnection(): a pg client it may mark as disposed. */
export interface PooledConnection {
  query(q: unknown): unknown;
  __knex__disposed?: unknown;
}

export class CopyIn {
  private readonly stream: CopyStream;
  private readonly done: Promise<unknown>;
  private failure: Error | undefined;
  private settled = false;

  constructor(
    private readonly connection: PooledConnection,
    sql: string,
  ) {
    this.stream = connection.query(copyFrom(sql)) as CopyStream;
    this.stream.on('error', (err: Error) => {
      this.failure ??= err;
    });
    this.done = once(this.stream, 'finish');
    this.done.catch(() => undefined);
  }

  /** Writes one chunk, waiting while PostgreSQL's socket is full; rejects once the COPY failed. */
  async write(chunk: Buffer | string): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.stream.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        this.stream.off('drain', onDrain);
        reject(err);
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
  }

  /** Ends the COPY and waits until PostgreSQL has committed it; returns the rows it counted. */
  async end(): Promise<number> {
    if (this.failure) throw this.failure;
    this.stream.end();
    await this.done;
    this.settled = true;
    return this.stream.rowCount;
  }

  /**
   * Gives up: PostgreSQL rolls the COPY back. Safe whatever state the connection is in. Resolves
   * once the backend has answered the CopyFail (at most ABORT_WAIT_MS): a COPY given up on before
   * PostgreSQL even entered it sends its CopyFail only then, and a ROLLBACK sent on the same
   * connection before it would arrive in the middle of the COPY (the backend then drops the
   * connection, and the rollback's error would hide the reason the load stopped).
   */
  async abort(reason: Error): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    // Whatever happens next, this connection must not serve another query before it is clean.
    this.connection.__knex__disposed = reason.message || 'COPY aborted';
    if (this.failure || this.stream.connection == null) return; // the backend already ended it
    const closed = once(this.stream, 'close').then(
      () => undefined,
      () => undefined,
    );
    try {
      this.stream.destroy(reason); // CopyFail, sent now while the connection is alive
    } catch {
      return; // the connection died in this very tick: it is disposed of above
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ABORT_WAIT_MS)))]);
    clearTimeout(timer);
  }
}

/**
 * Runs `work` on a connection of its own (a transaction's own connection inside a transaction) and
 * gives it back. A failed `work` may leave it mid-COPY or in a failed transaction: it is then
 * closed and the pool makes a new one.
 */
export async function withConnection<T>(q: Queryable, work: (connection: PooledConnection & { query: (...args: any[]) => any }) => Promise<T>): Promise<T> {
  const connection = await q.client.acquireConnection();
  try {
    return await work(connection);
  } catch (err) {
    connection.__knex__disposed ??= (err as Error).message || 'aborted';
    if (!q.isTransaction) connection.end?.().catch(() => undefined);
    throw err;
  } finally {
    q.client.releaseConnection(connection);
  }
}

/**
 * `COPY … FROM STDIN`: `feed` writes the rows (awaiting back-pressure); returns the rows PostgreSQL
 * counted once it committed the COPY. Any failure rolls the COPY back and rethrows.
 */
export async function copyIn(q: Queryable, sql: string, feed: (copy: Pick<CopyIn, 'write'>) => Promise<void>): Promise<number> {
  return withConnection(q, async (connection) => {
    const copy = new CopyIn(connection, sql);
    try {
      await feed(copy);
      return await copy.end();
    } catch (err) {
      await copy.abort(err as Error);
      throw err;
    }
  });
}
