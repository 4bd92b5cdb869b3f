/**
 * What the API's preview of a remote file answers (POST /v1/connections/{id}/preview; the DTO of
 * src/dataflows/preview.ts), and the name-based suggestion of a field for each column.
 */
import type { FailureReason } from '../types';

export type RemotePreview =
  | {
      ok: true;
      path: string;
      format: { format: 'csv' | 'jsonl'; compression: 'gzip' | 'none' };
      columns: string[];
      /** At most 10 rows, every cell as text. */
      rows: string[][];
      /** More rows (or columns) exist than are shown. */
      truncated: boolean;
      bytesRead: number;
      /** The bytes read are not valid UTF-8 (ingestion refuses such rows, rule encoding). */
      invalidUtf8: boolean;
    }
  | { ok: false; reason: FailureReason | 'unreadable'; message: string };

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9가-힣]/g, '');

/**
 * The field a column most likely fills, by name: the same path, then the same last segment, then
 * a path that ends with the column's name (PID → partnerID is left to the person).
 */
export function suggestField(column: string, paths: string[]): string {
  const c = norm(column);
  if (!c) return '';
  return (
    paths.find((p) => norm(p) === c) ??
    paths.find((p) => norm(p.split('.').pop() ?? '') === c) ??
    paths.find((p) => norm(p).endsWith(c) && c.length >= 3) ??
    ''
  );
}
