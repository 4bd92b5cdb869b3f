import { route, RouteSpec } from '../http/route';
import { KIND_LIMIT, type TargetKind, type TargetService } from './service';

export function targetRoutes(targets: TargetService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/targets', permission: 'targets.read', tag: 'targets', query: 'target-list-query',
      summary: 'Every first-party target of the ad account (all kinds, or one kind): name, population state and number, created and updated; with the per-kind limit and how many of each kind exist',
      handler: async ({ caller, query }) => ({ items: await targets.listAll(caller, query.kind as TargetKind | undefined), limit: KIND_LIMIT, counts: await targets.counts(caller) }),
    }),
    route({
      method: 'get', path: '/v1/targets/:id/usage', permission: 'targets.read', tag: 'targets',
      summary: 'Where a target is used (타겟 사용 현황): ad groups with their campaigns, and other users',
      handler: async ({ caller, params }) => targets.usage(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/targets/:id/refresh', permission: 'targets.write', tag: 'targets',
      summary: 'Count the population again now (e.g. after 조회실패 query failed)',
      handler: async ({ caller, params }) => targets.refresh(caller, params.id),
    }),
  ];
}
