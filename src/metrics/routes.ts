import express from 'express';
import type { Logger } from '../core/log';
import { NotFound } from '../core/errors';
import { problemMiddleware } from '../http/problem';
import { route, RouteSpec, STREAMED } from '../http/route';
import type { MetricsService } from './service';

export function metricsRoutes(metrics: MetricsService): RouteSpec[] {
  return [
    route({
      // Public to the API's keys: who may scrape is the metrics service's own rule (loopback, or METRICS_TOKEN).
      method: 'get', path: '/metrics', permission: 'public', tag: 'service', produces: 'text/plain', errors: [401, 403],
      summary:
        'Prometheus metrics of this process (text format 0.0.4): without METRICS_TOKEN for loopback clients only (403 otherwise), with it for requests that send Authorization: Bearer <METRICS_TOKEN> (401 otherwise); no API key',
      handler: async ({ req, res }) => {
        metrics.authorize(req);
        const { contentType, body } = await metrics.render();
        res.status(200).setHeader('Cache-Control', 'no-store');
        res.type(contentType).send(body);
        return STREAMED;
      },
    }),
  ];
}

/**
 * METRICS_PORT: a listener of its own that serves only GET /metrics, for processes without the
 * API (`cdp worker`) or to keep scrapes off the API's port. Same access rule as on the API.
 */
export function metricsApp(metrics: MetricsService, log: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const [spec] = metricsRoutes(metrics);
  app.get(spec.path, (req, res, next) => {
    spec.handler({ req, res, caller: undefined as never, body: undefined, query: {}, params: {} }).catch(next);
  });
  app.use((req, _res, next) => next(new NotFound(`No route ${req.method} ${req.path}; this port serves only GET /metrics`)));
  app.use(problemMiddleware(log));
  return app;
}
