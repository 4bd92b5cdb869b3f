/**
 * The web console (console/, built by `npm run build` into dist/console) served at / by the API
 * process. Every GET outside /v1 that asks for HTML gets index.html (the console routes in the
 * browser); hashed assets are cached for a year, index.html never (a new build is seen at once).
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { NextFunction, Request, Response } from 'express';
import { projectRoot } from '../core/validation';

export function consoleDir(): string {
  return path.join(projectRoot(), 'dist', 'console');
}

export function consoleMiddleware(dir = consoleDir()): express.RequestHandler[] {
  const index = path.join(dir, 'index.html');
  const built = () => fs.existsSync(index);
  const assets = express.static(dir, {
    index: false,
    setHeaders: (res, file) => res.setHeader('Cache-Control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  const page = (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.path.startsWith('/v1/') || req.path === '/v1' || !req.accepts('html')) return next();
    if (!built()) {
      res.status(503).type('text/plain').send('The console is not built yet: run `npm run build` (npm start and npm run demo do it).\n');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    // The key lives in sessionStorage; nothing on the page may be framed or load foreign code.
    res.setHeader('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    res.sendFile(index);
  };
  return [assets, page];
}
