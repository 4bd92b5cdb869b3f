import { route, RouteSpec } from '../http/route';
import type { LookalikeService } from './service';

export function lookalikeRoutes(lookalikes: LookalikeService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/targets/lookalikes/seeds', permission: 'targets.read', tag: 'lookalikes',
      summary: '유사타겟 1단계: seed candidates — customer files (≥ 2,000 people), talk channels\' friends and ad-response targets (Kakao users, ≥ 1,000) — with their population and whether they are selectable',
      handler: async ({ caller }) => ({ items: await lookalikes.seeds(caller) }),
    }),
    route({
      method: 'post', path: '/v1/targets/lookalikes', permission: 'targets.write', tag: 'lookalikes', body: 'lookalike-create', status: 201, errors: [409, 422],
      summary: '유사타겟 2단계: create a lookalike from a seed (name generated from the seed when omitted), size 1–10 % of the universe, auto-update on by default; built in the background (STANDBY 준비중 until then)',
      handler: async ({ caller, body }) => lookalikes.create(caller, body),
    }),
    route({
      method: 'get', path: '/v1/targets/lookalikes', permission: 'targets.read', tag: 'lookalikes',
      summary: 'Lookalikes: seed, size, status (사용가능 / 준비중 / 사용불가 / 모수부족), target update time, held-out quality, next rebuild, population and usage',
      handler: async ({ caller }) => ({ items: await lookalikes.list(caller) }),
    }),
    route({
      method: 'get', path: '/v1/targets/lookalikes/:id', permission: 'targets.read', tag: 'lookalikes',
      summary: 'One lookalike with its last build (quality, strongest features, timings), population and usage',
      handler: async ({ caller, params }) => lookalikes.get(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/targets/lookalikes/:id', permission: 'targets.write', tag: 'lookalikes', body: 'lookalike-update', errors: [409, 422],
      summary: 'Rename a lookalike, change its size (rebuilt at once) or switch auto-update (every 7–9 days) on or off',
      handler: async ({ caller, params, body }) => lookalikes.update(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/targets/lookalikes/:id', permission: 'targets.write', tag: 'lookalikes', errors: [409],
      summary: 'Delete a lookalike no ad group uses (409 listing the users otherwise)',
      handler: async ({ caller, params }) => lookalikes.delete(caller, params.id),
    }),
  ];
}
