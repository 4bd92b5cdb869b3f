import { route, RouteSpec } from '../http/route';
import { NotFound } from '../core/errors';
import { UniverseService } from './service';

export function universeRoutes(universe: UniverseService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/universe', permission: 'universe.read', tag: 'universe',
      summary: 'The first-party identity universe: people, identities by kind, records waiting to be linked, merges refused at the identity cap',
      handler: async ({ caller }) => universe.stats(caller),
    }),
    route({
      method: 'get', path: '/v1/universe/people', permission: 'universe.read', tag: 'universe', query: 'universe-lookup-query', errors: [404],
      summary: 'The person holding one identity (kind + normalised value), with all of their identities',
      handler: async ({ caller, query }) => {
        UniverseService.checkKind(query.kind);
        const person = await universe.lookup(caller, query.kind, query.value);
        if (!person) throw new NotFound(`No person of this ad account's universe holds ${query.kind} ${query.value}`);
        return person;
      },
    }),
    route({
      method: 'post', path: '/v1/universe/link', permission: 'universe.write', tag: 'universe',
      summary: 'Link the records waiting in the inbox now (workers do this every minute)',
      handler: async ({ caller }) => ({ linked: await universe.linkPending(caller.adAccountId), ...(await universe.stats(caller)) }),
    }),
    route({
      method: 'post', path: '/v1/universe/relink', permission: 'universe.write', tag: 'universe',
      summary: 'Rebuild the identity graph from every first-party source (e.g. after deleting a dataset)',
      handler: async ({ caller }) => universe.relink(caller),
    }),
  ];
}
