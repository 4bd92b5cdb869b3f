import { route, RouteSpec } from '../http/route';
import type { ProfileService } from './service';

export function profileRoutes(profiles: ProfileService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/profiles', permission: 'profiles.read', tag: 'profiles', query: 'profile-browse-query',
      summary: 'Browse prospect profiles (identity namespace shows which vendor each came from), filtered by namespace, dataset or attribute value',
      handler: async ({ caller, query }) => profiles.browse(caller, query),
    }),
    route({
      method: 'get', path: '/v1/profiles/:namespace/:identity', permission: 'profiles.read', tag: 'profiles',
      summary: 'One prospect profile by namespace and identity value: attributes, contributing datasets and batches',
      handler: async ({ caller, params }) => profiles.get(caller, params.namespace, params.identity),
    }),
  ];
}
