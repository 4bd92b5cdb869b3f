/**
 * Stopping the HTTP server without cutting requests off. `server.close()` alone stops accepting
 * connections but keeps keep-alive ones open — they even take new requests until their idle timeout
 * — and waits for a slow request forever. Here, once draining: every response says
 * `Connection: close` (a load balancer or client reconnects elsewhere), idle connections are closed
 * at once and each busy one when its response ends, and whatever is still open at the deadline is
 * cut.
 */
import type { Server, ServerResponse } from 'node:http';

export interface DrainableServer {
  /** Resolves true when every request in flight was answered within `timeoutMs`, false when some were cut. */
  drain(timeoutMs: number): Promise<boolean>;
}

export function drainable(server: Server): DrainableServer {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  const closeOnEnd = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    if (draining) closeOnEnd(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (draining) server.closeIdleConnections();
    });
  });
  return {
    drain: (timeoutMs) =>
      new Promise<boolean>((resolve) => {
        draining = true;
        for (const res of inFlight) closeOnEnd(res);
        let timer: NodeJS.Timeout | undefined;
        server.close(() => {
          clearTimeout(timer);
          resolve(true);
        });
        server.closeIdleConnections();
        timer = setTimeout(() => {
          server.closeAllConnections();
          resolve(false);
        }, timeoutMs);
      }),
  };
}
