import { route, RouteSpec } from '../http/route';
import type { AdResponseService } from './service';

export function adResponseRoutes(adResponse: AdResponseService): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/v1/targets/ad-response', permission: 'targets.write', tag: 'targets', body: 'ad-response-create', status: 201, errors: [409, 422],
      summary: 'Create an ad-response target (광고반응타겟): 1–10 ad groups or messages, reactions combined (one, all, A−B, A&B), collection period 1–90 days; name generated when omitted',
      handler: async ({ caller, body }) => adResponse.create(caller, body),
    }),
    route({
      method: 'get', path: '/v1/targets/ad-response', permission: 'targets.read', tag: 'targets',
      summary: 'Ad-response targets, newest first: sources, reactions, period, population (refreshed daily) and usage',
      handler: async ({ caller }) => ({ items: await adResponse.list(caller) }),
    }),
    route({
      method: 'get', path: '/v1/targets/ad-response/:id', permission: 'targets.read', tag: 'targets',
      summary: 'One ad-response target with its collection window, population and usage',
      handler: async ({ caller, params }) => adResponse.get(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/targets/ad-response/:id', permission: 'targets.write', tag: 'targets', body: 'ad-response-update', errors: [409, 422],
      summary: 'Rename an ad-response target, or change its sources, reactions or period (its population is counted again)',
      handler: async ({ caller, params, body }) => adResponse.update(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/targets/ad-response/:id', permission: 'targets.write', tag: 'targets', errors: [409],
      summary: 'Delete an ad-response target no ad group uses (409 listing the users otherwise)',
      handler: async ({ caller, params }) => adResponse.delete(caller, params.id),
    }),
  ];
}
