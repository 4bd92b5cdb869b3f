import { route, RouteSpec, STREAMED } from '../http/route';
import type { TrackerService } from './service';

/** A transparent 1×1 GIF: what an <img> beacon expects back. */
const PIXEL_GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export function trackerRoutes(trackers: TrackerService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/trackers', permission: 'trackers.read', tag: 'trackers',
      summary: 'Pixel & SDK of this ad account (픽셀 & SDK 연동 관리): track_id, name, role, collection status, last event, population of the last 120 days (타겟모수), event types seen',
      handler: async ({ caller }) => ({ items: await trackers.list(caller) }),
    }),
    route({
      method: 'post', path: '/v1/trackers', permission: 'trackers.write', tag: 'trackers', body: 'tracker-create', status: 201, errors: [409],
      summary: 'Create a pixel & SDK (a numeric track_id) in the organisation; this ad account becomes its MASTER',
      handler: async ({ caller, body }) => trackers.create(caller, body),
    }),
    route({
      method: 'get', path: '/v1/trackers/available', permission: 'trackers.read', tag: 'trackers', query: 'tracker-available-query',
      summary: 'Trackers of the organisation this ad account may add (권한 추가; already granted ones are hidden), or all of them with ?all=true (내 픽셀 & SDK 보기)',
      handler: async ({ caller, query }) => ({ items: await trackers.available(caller, query.all === true) }),
    }),
    route({
      method: 'get', path: '/v1/trackers/:trackId', permission: 'trackers.read', tag: 'trackers',
      summary: 'One pixel & SDK this ad account holds a right on',
      handler: async ({ caller, params }) => trackers.get(caller, params.trackId),
    }),
    route({
      method: 'patch', path: '/v1/trackers/:trackId', permission: 'trackers.write', tag: 'trackers', body: 'tracker-update', errors: [409],
      summary: 'Rename a pixel & SDK (the MASTER ad account only; MEMBER rights get 403)',
      handler: async ({ caller, params, body }) => trackers.rename(caller, params.trackId, body),
    }),
    route({
      method: 'get', path: '/v1/trackers/:trackId/events', permission: 'trackers.read', tag: 'trackers',
      summary: 'Event list (이벤트 목록): per event type, count, first and last seen over the last 120 days',
      handler: async ({ caller, params }) => trackers.events(caller, params.trackId),
    }),
    route({
      method: 'post', path: '/v1/trackers/:trackId/refresh', permission: 'trackers.write', tag: 'trackers',
      summary: 'Count this ad account\'s population of the tracker again now (it is refreshed hourly)',
      handler: async ({ caller, params }) => trackers.refresh(caller, params.trackId),
    }),
    route({
      method: 'post', path: '/v1/trackers/:trackId/rights', permission: 'trackers.write', tag: 'trackers', status: 201, errors: [409],
      summary: 'Add a right on a tracker of the organisation to this ad account (MEMBER); its last 120 days of events join the account\'s universe',
      handler: async ({ caller, params }) => trackers.addRight(caller, params.trackId),
    }),
    route({
      method: 'delete', path: '/v1/trackers/:trackId/rights', permission: 'trackers.write', tag: 'trackers', errors: [409],
      summary: 'Remove this ad account\'s right (권한 삭제); refused while pixel & SDK targets use it, and for the MASTER while MEMBERs remain',
      handler: async ({ caller, params }) => trackers.removeRight(caller, params.trackId),
    }),
    route({
      method: 'post', path: '/v1/collect/:trackId', permission: 'public', tag: 'trackers', status: 202, cors: true, jsonBodyLimit: '4mb', errors: [422, 429, 503],
      summary:
        'Public collection endpoint of the web pixel and app SDK (no API key, CORS): one event, an array or { events: [...] } (≤ 1000) with eventId?, event, adid / appUserId / cookieId, occurredAt?, properties? (schema pixel-event). Answers 202 { accepted, duplicates } once stored: duplicates = events whose eventId this tracker received in the last 48 hours (or earlier in the request), not stored again — a retry is safe; any invalid event refuses the whole request (422)',
      handler: async ({ params, body, req, res }) => trackers.collect(params.trackId, body, req.ip ?? '', res),
    }),
    route({
      method: 'get', path: '/v1/collect/:trackId', permission: 'public', tag: 'trackers', query: 'pixel-beacon-query', cors: true, produces: 'image/gif', errors: [422, 429, 503],
      summary: 'Image beacon: one event in the query string (?event=pageView&adid=…&eventId=…); answers a 1×1 GIF once stored (an eventId received in the last 48 hours is not stored again)',
      handler: async ({ params, query, req, res }) => {
        await trackers.beacon(params.trackId, query, req.ip ?? '', res);
        res.status(200).setHeader('Cache-Control', 'no-store');
        res.type('image/gif').end(PIXEL_GIF);
        return STREAMED;
      },
    }),
    route({
      method: 'get', path: '/v1/targets/pixel', permission: 'targets.read', tag: 'targets',
      summary: 'Pixel & SDK targets (픽셀 & SDK 타겟): tracker, event, period in days, population',
      handler: async ({ caller }) => ({ items: await trackers.listTargets(caller) }),
    }),
    route({
      method: 'post', path: '/v1/targets/pixel', permission: 'targets.write', tag: 'targets', body: 'pixel-target-create', status: 201, errors: [409, 422],
      summary: 'Create a pixel & SDK target: people of a tracker (this account holds a right on) with one event type, or any, in the last 1–120 days',
      handler: async ({ caller, body }) => trackers.createTarget(caller, body),
    }),
    route({
      method: 'get', path: '/v1/targets/pixel/:id', permission: 'targets.read', tag: 'targets',
      summary: 'One pixel & SDK target',
      handler: async ({ caller, params }) => trackers.getTarget(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/targets/pixel/:id', permission: 'targets.write', tag: 'targets', body: 'pixel-target-update', errors: [409],
      summary: 'Rename a pixel & SDK target or change its event or period (its population is counted again)',
      handler: async ({ caller, params, body }) => trackers.updateTarget(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/targets/pixel/:id', permission: 'targets.write', tag: 'targets', errors: [409],
      summary: 'Delete a pixel & SDK target nobody uses',
      handler: async ({ caller, params }) => trackers.deleteTarget(caller, params.id),
    }),
  ];
}
