/** What the customer file screens read: the API's DTOs (src/customer-files/service.ts, uploads.ts). */
import type { Population } from '../../../ui/PopulationBadge';
import type { TargetUser } from '../../../ui/TargetUsage';

export interface UploadCounts {
  received: number;
  succeeded: number;
  failed: number;
  duplicates: number;
}

/** src/customer-files/uploads.ts UploadView: the de-identification result (비식별 코드화). */
export interface UploadView {
  id: string;
  status: 'ready' | 'saved';
  identifierType: string;
  fileName: string | null;
  encoding: string;
  bytes: number;
  column: string | null;
  ignoredColumns: string[];
  counts: UploadCounts;
  failuresUrl: string;
  targetId: string | null;
  expiresAt: string | null;
  createdAt: string;
}

/** src/customer-files/service.ts CustomerFile. */
export interface CustomerFile {
  id: string;
  kind: 'customer_file';
  name: string;
  population: Population;
  status: 'WAITING' | 'COMPLETE' | 'ERROR' | 'MODIFYING';
  adidCount: number;
  upload: { id: string; fileName: string | null; encoding: string; bytes: number; counts: UploadCounts };
  usage: TargetUser[];
  createdAt: string;
  updatedAt: string;
}

/** Same limit as the API (src/customer-files/uploads.ts MAX_UPLOAD_BYTES): a bigger file is refused before sending. */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;

/** Counting is under way: lists and details poll until it settles. */
export const counting = (f: { population: Population }) => f.population.state === 'preparing' || f.population.state === 'querying';
