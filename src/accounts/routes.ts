import { route, RouteSpec } from '../http/route';
import { permissionsOf } from '../http/access';
import type { AccountService } from './service';

export function accountRoutes(accounts: AccountService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/accounts/me', permission: 'accounts.read', tag: 'accounts',
      summary: 'The calling key: role, organisation, the ad account requests are scoped to, and the permissions of its role',
      handler: async ({ caller }) => ({ ...(await accounts.me(caller)), permissions: permissionsOf(caller.role) }),
    }),
    route({
      method: 'get', path: '/v1/accounts', permission: 'accounts.read', tag: 'accounts',
      summary: 'Ad accounts visible to the caller (all of the organisation for org-wide admins)',
      handler: async ({ caller }) => ({ items: await accounts.listAccounts(caller) }),
    }),
    route({
      method: 'post', path: '/v1/accounts', permission: 'accounts.manage', tag: 'accounts', body: 'account-create', status: 201,
      summary: 'Create an ad account in the caller\'s organisation (org-wide admin keys only)',
      handler: async ({ caller, body }) => accounts.createAccount(caller, body),
    }),
    route({
      method: 'get', path: '/v1/accounts/:accountId', permission: 'accounts.read', tag: 'accounts',
      summary: 'One ad account',
      handler: async ({ caller, params }) => accounts.getAccount(caller, params.accountId),
    }),
    route({
      method: 'get', path: '/v1/accounts/:accountId/api-keys', permission: 'accounts.manage', tag: 'accounts',
      summary: 'API keys of an ad account (never their secrets)',
      handler: async ({ caller, params }) => ({ items: await accounts.listKeys(caller, params.accountId) }),
    }),
    route({
      method: 'post', path: '/v1/accounts/:accountId/api-keys', permission: 'accounts.manage', tag: 'accounts', body: 'api-key-create', status: 201,
      summary: 'Issue an API key with a role; the token is in this response only',
      handler: async ({ caller, params, body }) => accounts.createKey(caller, params.accountId, body),
    }),
    route({
      method: 'delete', path: '/v1/accounts/:accountId/api-keys/:keyId', permission: 'accounts.manage', tag: 'accounts',
      summary: 'Revoke an API key',
      handler: async ({ caller, params }) => accounts.revokeKey(caller, params.accountId, params.keyId),
    }),
  ];
}
