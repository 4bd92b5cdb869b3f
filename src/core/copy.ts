/**
 * COPY … FROM STDIN on one pooled connection: the one place the service drives pg-copy-streams for
 * loads (batch files, customer-file and friend-group uploads).
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

  /** Gives up: PostgreSQL rolls the COPY back. Safe whatever state the connection is in. */
  abort(reason: Error): void {
    if (this.settled) return;
    this.settled = true;
    // Whatever happens next, this connection must not serve another query before it is clean.
    this.connection.__knex__disposed = reason.message || 'COPY aborted';
    if (this.failure || this.stream.connection == null) return; // the backend already ended it
    try {
      this.stream.destroy(reason); // CopyFail, sent now while the connection is alive
    } catch {
      // the connection died in this very tick: it is disposed of above
    }
  }
}
