/** The demo's HTTP client of the API: what a data engineer's script does with fetch. */
import { Readable } from 'node:stream';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, any>,
  ) {
    super(`${status} ${body?.title ?? ''}: ${body?.detail ?? JSON.stringify(body)}`);
  }
}

interface CallInit {
  /** A JSON body (sent as application/json). */
  json?: unknown;
  /** A raw body (a file), streamed when it is a stream. */
  body?: string | Readable;
  contentType?: string;
  /** false: send no API key (the public collection and postback endpoints). */
  auth?: boolean;
}

export function client(base: string, token: string) {
  const request = async (method: string, p: string, init: CallInit = {}): Promise<{ status: number; body: any }> => {
    const headers: Record<string, string> = {};
    if (init.auth !== false) headers.authorization = `Bearer ${token}`;
    let body: string | Readable | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) {
      headers['content-type'] = init.contentType ?? 'application/octet-stream';
      body = init.body;
    }
    // A stream goes out chunked as it is read (fetch needs duplex 'half' for a streamed request body).
    const res = await fetch(`${base}${p}`, { method, headers, body, ...(body instanceof Readable ? { duplex: 'half' as const } : {}) });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (e.g. a CSV download): keep the text
    }
    return { status: res.status, body: parsed };
  };
  const call = async (method: string, p: string, init?: CallInit): Promise<any> => {
    const res = await request(method, p, init);
    if (res.status >= 400) throw new ApiError(res.status, res.body);
    return res.body;
  };
  return {
    get: (p: string) => call('GET', p),
    post: (p: string, body: unknown = {}) => call('POST', p, { json: body }),
    put: (p: string, body: unknown) => call('PUT', p, { json: body }),
    patch: (p: string, body: unknown) => call('PATCH', p, { json: body }),
    /** Sends a file as the request body (streamed when it is a stream). */
    upload: (p: string, body: string | Readable, contentType: string) => call('POST', p, { body, contentType }),
    /** POSTs JSON without the API key, as a web page, an app SDK or a MAT vendor does. */
    publicPost: (p: string, body: unknown) => call('POST', p, { json: body, auth: false }),
    /** Any request, answering the status and body instead of throwing on an error status. */
    attempt: (method: string, p: string, body?: unknown) => request(method, p, body === undefined ? {} : { json: body }),
    /** Polls until `done` says so (runs and evaluations finish in the background). */
    async until<T>(p: string, done: (x: any) => boolean, timeoutMs = 120_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const x = await call('GET', p);
        if (done(x)) return x;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${p}: ${JSON.stringify(x).slice(0, 300)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
}

export type DemoApi = ReturnType<typeof client>;
