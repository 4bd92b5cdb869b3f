/**
 * Downloads an API file (row errors, reports). A plain <a href> cannot carry the Authorization
 * header, so the file is fetched with the session's key and saved from a Blob through a temporary
 * download link. Failures are ApiProblem, like every other call.
 */
import { ApiProblem } from '../api/client';
import { currentSession } from '../session';

export async function downloadWithKey(path: string, fallbackName: string): Promise<{ fileName: string; bytes: number }> {
  const headers = new Headers();
  const s = currentSession();
  if (s) {
    headers.set('Authorization', `Bearer ${s.key}`);
    if (s.adAccountId) headers.set('X-Ad-Account-Id', s.adAccountId);
  }
  let res: Response;
  try {
    res = await fetch(path, { headers });
  } catch (err) {
    throw new ApiProblem(0, 'Network error', (err as Error).message);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { title?: string; detail?: string; errors?: [] };
    throw new ApiProblem(res.status, body.title ?? `HTTP ${res.status}`, body.detail ?? '', body.errors ?? [], body);
  }
  const blob = await res.blob();
  const fileName = /filename="?([^";]+)"?/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The click has handed the Blob to the browser's download; free it on the next turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
  return { fileName, bytes: blob.size };
}
