import { route, RouteSpec } from '../http/route';
import type { NamespaceService } from './service';

export function namespaceRoutes(namespaces: NamespaceService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/namespaces', permission: 'namespaces.read', tag: 'namespaces', query: 'namespace-list-query',
      summary: 'Identity namespaces of the ad account (standard first), optionally filtered by type or standard flag',
      handler: async ({ caller, query }) => ({ items: await namespaces.list(caller, query) }),
    }),
    route({
      method: 'post', path: '/v1/namespaces', permission: 'namespaces.write', tag: 'namespaces', body: 'namespace-create', status: 201,
      errors: [409],
      summary: 'Create a custom identity namespace (name and code unique per ad account, case-insensitive)',
      handler: async ({ caller, body }) => namespaces.create(caller, body),
    }),
    route({
      method: 'get', path: '/v1/namespaces/:id', permission: 'namespaces.read', tag: 'namespaces',
      summary: 'One identity namespace, by id or by code (e.g. Phone_E.164)',
      handler: async ({ caller, params }) => namespaces.get(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/namespaces/:id', permission: 'namespaces.write', tag: 'namespaces', body: 'namespace-update',
      errors: [409, 422],
      summary: 'Rename a custom namespace or change its description; code and type are immutable, standard namespaces read-only',
      handler: async ({ caller, params, body }) => namespaces.update(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/namespaces/:id', permission: 'namespaces.write', tag: 'namespaces',
      errors: [409],
      summary: 'Always refused with 409: identity namespaces cannot be deleted (identities and schemas refer to them)',
      handler: async ({ caller, params }) => namespaces.remove(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/namespaces/:id/normalize', permission: 'namespaces.read', tag: 'namespaces', body: 'namespace-normalize',
      summary: 'Normalise and validate up to 1000 identity values with the namespace\'s rule, as ingestion does (nothing is stored)',
      handler: async ({ caller, params, body }) => namespaces.normalize(caller, params.id, body.values),
    }),
  ];
}
