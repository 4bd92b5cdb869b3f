import { route, RouteSpec } from '../http/route';
import type { CampaignService } from './service';

export function campaignRoutes(campaigns: CampaignService): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/v1/campaigns', permission: 'campaigns.write', tag: 'campaigns', body: 'campaign-create', status: 201, errors: [409, 422],
      summary: 'Create a display or message campaign (message: talk channel and message type, e.g. DIRECT_FRIENDS = 친구 전체/그룹에게 발송하기)',
      handler: async ({ caller, body }) => campaigns.createCampaign(caller, body),
    }),
    route({
      method: 'get', path: '/v1/campaigns', permission: 'campaigns.read', tag: 'campaigns', query: 'campaign-list-query',
      summary: 'Campaigns of the ad account, newest first (optionally one type)',
      handler: async ({ caller, query }) => ({ items: await campaigns.listCampaigns(caller, query) }),
    }),
    route({
      method: 'get', path: '/v1/campaigns/:id', permission: 'campaigns.read', tag: 'campaigns',
      summary: 'One campaign',
      handler: async ({ caller, params }) => campaigns.getCampaign(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/campaigns/:id', permission: 'campaigns.write', tag: 'campaigns', body: 'campaign-update', errors: [409],
      summary: 'Rename a campaign (type, message type and channel are fixed at creation)',
      handler: async ({ caller, params, body }) => campaigns.renameCampaign(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/campaigns/:id', permission: 'campaigns.write', tag: 'campaigns', errors: [409],
      summary: 'Delete a campaign with its ad groups, messages and reactions (refused while one is a source of an ad-response target)',
      handler: async ({ caller, params }) => campaigns.deleteCampaign(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/ad-groups', permission: 'campaigns.write', tag: 'campaigns', body: 'ad-group-create', status: 201, errors: [409, 422],
      summary: 'Create an ad group in a campaign, optionally with its targeting (맞춤타겟 include / exclude)',
      handler: async ({ caller, body }) => campaigns.createAdGroup(caller, body),
    }),
    route({
      method: 'get', path: '/v1/ad-groups', permission: 'campaigns.read', tag: 'campaigns', query: 'ad-group-list-query',
      summary: 'Ad groups (of one campaign or all), newest first, with their targeting',
      handler: async ({ caller, query }) => ({ items: await campaigns.listAdGroups(caller, query) }),
    }),
    route({
      method: 'get', path: '/v1/ad-groups/:id', permission: 'campaigns.read', tag: 'campaigns',
      summary: 'One ad group with its campaign and targeting (targets with their populations)',
      handler: async ({ caller, params }) => campaigns.getAdGroup(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/ad-groups/:id', permission: 'campaigns.write', tag: 'campaigns', body: 'ad-group-update', errors: [409],
      summary: 'Rename an ad group',
      handler: async ({ caller, params, body }) => campaigns.renameAdGroup(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/ad-groups/:id', permission: 'campaigns.write', tag: 'campaigns', errors: [409],
      summary: 'Delete an ad group with its messages, targeting and reactions (refused while it is a source of an ad-response target)',
      handler: async ({ caller, params }) => campaigns.deleteAdGroup(caller, params.id),
    }),
    route({
      method: 'put', path: '/v1/ad-groups/:id/targeting', permission: 'campaigns.write', tag: 'campaigns', body: 'ad-group-targeting', errors: [422],
      summary: 'Set the ad group\'s targeting: targets of any kind to include and to exclude (at most 10 each; not while preparing 준비중)',
      handler: async ({ caller, params, body }) => campaigns.setTargeting(caller, params.id, body),
    }),
    route({
      method: 'post', path: '/v1/ad-groups/:id/reach', permission: 'campaigns.read', tag: 'campaigns', body: 'ad-group-reach', errors: [422],
      summary: 'Estimated reach now: people in any included target (or everyone; channel friends for message campaigns) minus people in any excluded one',
      handler: async ({ caller, params, body }) => campaigns.reach(caller, params.id, body),
    }),
    route({
      method: 'post', path: '/v1/messages', permission: 'campaigns.write', tag: 'campaigns', body: 'message-create', status: 201, errors: [409, 422],
      summary: 'Create a message in an ad group of a message campaign',
      handler: async ({ caller, body }) => campaigns.createMessage(caller, body),
    }),
    route({
      method: 'get', path: '/v1/messages', permission: 'campaigns.read', tag: 'campaigns', query: 'message-list-query',
      summary: 'Messages (of one ad group or all), newest first',
      handler: async ({ caller, query }) => ({ items: await campaigns.listMessages(caller, query) }),
    }),
    route({
      method: 'get', path: '/v1/messages/:id', permission: 'campaigns.read', tag: 'campaigns',
      summary: 'One message with its ad group and campaign',
      handler: async ({ caller, params }) => campaigns.getMessage(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/messages/:id', permission: 'campaigns.write', tag: 'campaigns', body: 'message-update', errors: [409],
      summary: 'Rename a message',
      handler: async ({ caller, params, body }) => campaigns.renameMessage(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/messages/:id', permission: 'campaigns.write', tag: 'campaigns', errors: [409],
      summary: 'Delete a message with its reactions (refused while it is a source of an ad-response target)',
      handler: async ({ caller, params }) => campaigns.deleteMessage(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/reactions', permission: 'reactions.write', tag: 'campaigns', status: 201, errors: [409, 413, 422],
      rawBody: ['application/json', 'application/x-ndjson', 'application/jsonl', 'application/json-lines'],
      summary:
        'Record ad reactions (광고반응): one JSON object, or up to 100,000 JSON lines; display ad groups PLAY (counted from 3 s or 25 %) / CLICK / CONVERSION, messages OPEN / CLICK. All or nothing',
      handler: async ({ caller, req }) => campaigns.recordReactions(caller, req.get('content-type'), req),
    }),
  ];
}
