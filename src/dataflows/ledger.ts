/**
 * The per-file ledger (dataflow_files): one row per file version (path + fingerprint) of a
 * dataflow, claimed by one run at a time and settled when its batch ends.
 *
 * Who may take a `processing` claim over is decided by process liveness, not by time: a loader
 * holds the file's work lock (core/instances.ts, on its process's liveness connection) from before
 * it claims until it has settled, so whoever gets that lock knows the claim's loader is dead or
 * its attempt ended — and takes the claim over at once. Claims with a lease (`lease_until`) were
 * written by versions before these locks; they are taken over only once the lease has run out.
 *
 * Every write of a loader is fenced by its claim's `attempts` (the takeover raises it): a loader
 * that lost its lock without knowing (its liveness connection dropped) records and settles nothing
 * over the claim that replaced it.
 */
import { createHash } from 'node:crypto';
import type { RemoteFile } from '../../connectors/types';
import type { Db } from '../core/db';
import type { DataflowRow, FileClaim } from './types';

/** The key of a file version's work lock: 32 bits of a hash (a collision only makes a run skip a file until the next run). */
export function fileLockKey(dataflowId: string, file: Pick<RemoteFile, 'path' | 'fingerprint'>): number {
  return createHash('sha256').update(`${dataflowId}\n${file.path}\n${file.fingerprint}`).digest().readInt32BE(0);
}

export class FileLedger {
  constructor(private readonly db: Db) {}

  /** The listed file versions that are done for good (ingested, or failed on bad data or too many tries). */
  async settled(flow: DataflowRow, files: readonly RemoteFile[]): Promise<Set<string>> {
    if (files.length === 0) return new Set();
    const { rows } = await this.db.raw(
      `select path, fingerprint from dataflow_files
        where ad_account_id = ? and dataflow_id = ? and status in ('ingested', 'failed')
          and (path, fingerprint) in (select * from unnest(?::text[], ?::text[]))`,
      [flow.ad_account_id, flow.id, files.map((f) => f.path), files.map((f) => f.fingerprint)],
    );
    return new Set(rows.map((r: { path: string; fingerprint: string }) => versionOf(r)));
  }

  /**
   * Takes a file version for this run, or returns null when another run has it or it is done. The
   * caller holds the file's work lock: a `processing` claim without a lease is therefore one whose
   * loader is gone, and is taken over; new versions are inserted, `retry` ones taken again.
   */
  async claim(flow: DataflowRow, runId: string, file: RemoteFile, maxAttempts: number): Promise<FileClaim | null> {
    const { rows } = await this.db.raw(
      `insert into dataflow_files (ad_account_id, dataflow_id, path, fingerprint, size, modified_at, status, run_id, attempts, lease_until)
       values (?, ?, ?, ?, ?, ?, 'processing', ?, 1, null)
       on conflict (dataflow_id, path, fingerprint, ad_account_id) do update
         set status = 'processing', run_id = excluded.run_id, attempts = dataflow_files.attempts + 1,
             lease_until = null, error = null, updated_at = now()
         where (dataflow_files.status = 'retry' and dataflow_files.attempts < ?)
            or (dataflow_files.status = 'processing' and (dataflow_files.lease_until is null or dataflow_files.lease_until < now()))
       returning id, status, batch_id, attempts`,
      [flow.ad_account_id, flow.id, file.path, file.fingerprint, file.size, file.modifiedAt, runId, maxAttempts],
    );
    return (rows[0] as FileClaim | undefined) ?? null;
  }

  /** Records the claim's batch before loading; false when another run has taken the claim over. */
  async recordBatch(claim: FileClaim, batchId: string): Promise<boolean> {
    const updated = await this.db('dataflow_files').where({ id: claim.id, attempts: claim.attempts, status: 'processing' }).update({ batch_id: batchId });
    return updated > 0;
  }

  async settle(claim: FileClaim, status: 'ingested' | 'failed' | 'retry', error: string | null): Promise<void> {
    await this.db('dataflow_files')
      .where({ id: claim.id, attempts: claim.attempts, status: 'processing' })
      .update({ status, error, lease_until: null, updated_at: this.db.fn.now() });
  }
}

export function versionOf(file: Pick<RemoteFile, 'path' | 'fingerprint'>): string {
  return `${file.path}\n${file.fingerprint}`;
}
