import { route, RouteSpec } from '../http/route';
import { LINK_CODE_LIMIT, type MatService } from './service';

export function matRoutes(mat: MatService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/mat/link-codes', permission: 'mat.read', tag: 'mat',
      summary: 'MAT link codes (연동코드) of the ad account: name, code to copy (고유코드), created (등록일시); with the per-account limit',
      handler: async ({ caller }) => ({ items: await mat.listCodes(caller), limit: LINK_CODE_LIMIT }),
    }),
    route({
      method: 'post', path: '/v1/mat/link-codes', permission: 'mat.write', tag: 'mat', body: 'mat-link-code-create', status: 201, errors: [409],
      summary: 'Create a link code (연동코드 만들기): a name and a generated unique code for the vendor\'s postback URL; at most 30 per ad account',
      handler: async ({ caller, body }) => mat.createCode(caller, body),
    }),
    route({
      method: 'get', path: '/v1/mat/link-codes/:id', permission: 'mat.read', tag: 'mat',
      summary: 'One link code',
      handler: async ({ caller, params }) => mat.getCode(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/mat/link-codes/:id', permission: 'mat.write', tag: 'mat', body: 'mat-link-code-update', errors: [409],
      summary: 'Rename a link code',
      handler: async ({ caller, params, body }) => mat.renameCode(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/mat/link-codes/:id', permission: 'mat.write', tag: 'mat', errors: [409],
      summary: 'Delete a link code no MAT link uses (its received postbacks go with it)',
      handler: async ({ caller, params }) => mat.deleteCode(caller, params.id),
    }),
    route({
      method: 'get', path: '/v1/mat/link-codes/:id/received', permission: 'mat.read', tag: 'mat',
      summary: 'Vendors and events received for a link code, with first and last collected time and count (what "+ MAT 연동하기" offers)',
      handler: async ({ caller, params }) => mat.received(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/mat/postbacks/:vendor/:code', permission: 'public', tag: 'mat', status: 202, cors: true, jsonBodyLimit: '2mb', errors: [422, 429],
      summary:
        'Public postback endpoint (no API key; the code authorises): generic { event: install|open|purchase, adid, occurredAt?, eventId? } or an array, or AppsFlyer Push API JSON (vendor appsflyer). Answers 202 { accepted, duplicates, ignored }; events mapping to none of install/open/purchase and ad ids that are missing or all-zero (ad tracking limited) are ignored and counted, in every format; a resend within 48 hours (same eventId, or same event, ad id and event time) answers 202 and counts as a duplicate, stored once',
      handler: async ({ params, body, req, res }) => mat.postback(params.vendor, params.code, { body }, req.ip ?? '', res),
    }),
    route({
      method: 'get', path: '/v1/mat/postbacks/:vendor/:code', permission: 'public', tag: 'mat', status: 202, cors: true, query: 'mat-postback-query', errors: [422, 429],
      summary: 'Postback as a GET callback: Adjust (?activity_kind=install|session|event&event_name=…&gps_adid=…&idfa=…&created_at=<unix s>), AppsFlyer GET fields, or the generic fields; resends are stored once as for POST',
      handler: async ({ params, query, req, res }) => mat.postback(params.vendor, params.code, { query }, req.ip ?? '', res),
    }),
    route({
      method: 'get', path: '/v1/targets/mat', permission: 'targets.read', tag: 'targets',
      summary: 'MAT links (MAT 연동): registered (first collected), name, vendor, event, collection type RETARGETING, population of the last 120 days',
      handler: async ({ caller }) => ({ items: await mat.listLinks(caller) }),
    }),
    route({
      method: 'post', path: '/v1/targets/mat', permission: 'targets.write', tag: 'targets', body: 'mat-link-create', status: 201, errors: [409, 422],
      summary: '+ MAT 연동하기: a MAT link on a link code, vendor and one event (install, open, purchase) — only ones actually received for the code',
      handler: async ({ caller, body }) => mat.createLink(caller, body),
    }),
    route({
      method: 'get', path: '/v1/targets/mat/:id', permission: 'targets.read', tag: 'targets',
      summary: 'One MAT link',
      handler: async ({ caller, params }) => mat.getLink(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/targets/mat/:id', permission: 'targets.write', tag: 'targets', body: 'mat-link-update', errors: [409],
      summary: 'Rename a MAT link',
      handler: async ({ caller, params, body }) => mat.renameLink(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/targets/mat/:id', permission: 'targets.write', tag: 'targets', errors: [409],
      summary: 'Delete a MAT link nobody uses',
      handler: async ({ caller, params }) => mat.deleteLink(caller, params.id),
    }),
  ];
}
