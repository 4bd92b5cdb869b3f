/**
 * The client commands' one way to the API: openapi-fetch typed by the console's generated
 * console/src/api/schema.d.ts (paths, path parameters, queries and bodies are checked against the
 * OpenAPI document; a type-only import, so nothing of the console is loaded at run time). Responses
 * are not described there yet: commands read them as the services' own DTO types.
 *
 * Every failure becomes a CliError with one line and the exit code of its kind (src/cli/exit.ts).
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from '../../../console/src/api/schema';
import { CliError, EXIT } from '../exit';
import type { Connection } from './credentials';

export type Api = Client<paths>;
export type { operations } from '../../../console/src/api/schema';

export interface ProblemField {
  pointer: string;
  rule: string;
  message: string;
}

export function apiFor(conn: Pick<Connection, 'url' | 'apiKey'>, userAgent: string): Api {
  return createClient<paths>({ baseUrl: conn.url, headers: { Authorization: `Bearer ${conn.apiKey}`, 'User-Agent': userAgent } });
}

/**
 * `error: <title>: <detail> (<pointer> <rule>; …)` — the problem's fields and rules, so a script's
 * log names what to fix. A body that is no problem+json (a proxy's page) is named by its status.
 */
export function problemMessage(status: number, body: unknown): string {
  const p = (body && typeof body === 'object' ? body : {}) as { title?: unknown; detail?: unknown; errors?: unknown };
  const title = typeof p.title === 'string' && p.title ? p.title : `HTTP ${status}`;
  const detail = typeof p.detail === 'string' && p.detail && p.detail !== title ? `: ${p.detail}` : '';
  const fields = Array.isArray(p.errors) ? (p.errors as ProblemField[]).filter((e) => e && typeof e.pointer === 'string') : [];
  const where = fields.length ? ` (${fields.map((e) => `${e.pointer || '/'} ${e.rule}`).join('; ')})` : '';
  return `${title}${detail}${where}`;
}

/** The CliError of an answer that is not a success. */
export function refusal(status: number, body: unknown, keySource?: Connection['keySource']): CliError {
  const hint = status === 401 && keySource ? ` — the key comes from ${keySource === 'CDP_API_KEY' ? 'CDP_API_KEY' : '`cdp login`'}` : '';
  return new CliError(`${problemMessage(status, body)}${hint}`, status >= 500 ? EXIT.unreachable : EXIT.refused);
}

/** The CliError of a request that got no answer (refused connection, unknown host, reset). */
export function unreachable(url: string, err: unknown): CliError {
  // fetch puts the socket's error in `cause`; node:http throws it itself.
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  const why = e?.cause?.code ?? e?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new CliError(`cannot reach the service at ${url} (${why}): is it running? (cdp start)`, EXIT.unreachable);
}

/** Awaits an openapi-fetch call and returns its data as T, or throws the CliError of its failure. */
export async function answer<T>(conn: { url: string; keySource?: Connection['keySource'] }, call: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: unknown; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (err) {
    throw unreachable(conn.url, err);
  }
  if (!result.response.ok) throw refusal(result.response.status, result.error, conn.keySource);
  return result.data as T;
}
