import { closingOnTooLarge, contentLength, sendCsv, sendFailures, UPLOAD_TYPES } from '../customer-files/routes';
import type { UploadEncoding } from '../customer-files/uploads';
import { route, RouteSpec } from '../http/route';
import type { FriendGroupService, FriendType } from './service';

export function friendGroupRoutes(groups: FriendGroupService): RouteSpec[] {
  return [
    // ---- talk channels and their friends ----
    route({
      method: 'post', path: '/v1/talk-channels', permission: 'channels.write', tag: 'talk-channels', body: 'talk-channel-create', status: 201, errors: [409],
      summary: 'Add a talk channel (카카오톡 채널) to the ad account: name and search id (@프렌즈샵), unique per account',
      handler: async ({ caller, body }) => groups.createChannel(caller, body),
    }),
    route({
      method: 'get', path: '/v1/talk-channels', permission: 'channels.read', tag: 'talk-channels',
      summary: 'The ad account\'s talk channels with their friend counts',
      handler: async ({ caller }) => ({ items: await groups.listChannels(caller) }),
    }),
    route({
      method: 'get', path: '/v1/talk-channels/:id', permission: 'channels.read', tag: 'talk-channels',
      summary: 'One talk channel with its friend count',
      handler: async ({ caller, params }) => groups.getChannel(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/talk-channels/:id', permission: 'channels.write', tag: 'talk-channels', body: 'talk-channel-update', errors: [409],
      summary: 'Rename a talk channel or change its search id',
      handler: async ({ caller, params, body }) => groups.updateChannel(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/talk-channels/:id', permission: 'channels.write', tag: 'talk-channels', errors: [409],
      summary: 'Delete a talk channel and its friendships; refused (409 with the users) while friend groups or campaigns use it',
      handler: async ({ caller, params }) => groups.deleteChannel(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/talk-channels/:id/friends', permission: 'channels.write', tag: 'talk-channels', body: 'talk-channel-friends', errors: [422],
      summary: 'Add friends of the channel (up to 10,000 phone numbers or app user ids per request; idempotent); they join the first-party universe',
      handler: async ({ caller, params, body }) => groups.addFriends(caller, params.id, body.friends),
    }),
    route({
      method: 'post', path: '/v1/talk-channels/:id/friends/remove', permission: 'channels.write', tag: 'talk-channels', body: 'talk-channel-friends', errors: [422],
      summary: 'Remove friends of the channel (people who blocked or left it); friend group counts follow',
      handler: async ({ caller, params, body }) => groups.removeFriends(caller, params.id, body.friends),
    }),
    // ---- friend groups ----
    route({
      method: 'get', path: '/v1/targets/friend-groups/template', permission: 'targets.read', tag: 'friend-groups', query: 'friend-group-template-query', produces: 'text/csv',
      summary: '친구그룹 템플릿: the CSV template of a friend group file (`phone_number` or `app_user_id` column with examples)',
      handler: async ({ query, res }) => {
        const type = query.type as FriendType;
        return sendCsv(res, `friend_group_${type.toLowerCase()}_template.csv`, groups.template(type));
      },
    }),
    route({
      method: 'post', path: '/v1/targets/friend-groups/uploads', permission: 'targets.write', tag: 'friend-groups',
      query: 'friend-group-upload-query', rawBody: UPLOAD_TYPES, status: 201, errors: [413, 422],
      summary: 'Upload a friend group file for a channel (CSV of phone numbers or app user ids, ≤ 200 MB): registered, failed and duplicate counts',
      handler: async ({ caller, query, req, res }) =>
        closingOnTooLarge(res, () =>
          groups.upload(caller, String(query.channelId), query.type as FriendType, req, {
            contentLength: contentLength(req),
            encoding: query.encoding as UploadEncoding,
            fileName: query.fileName as string | undefined,
          }),
        ),
    }),
    route({
      method: 'get', path: '/v1/targets/friend-groups/uploads/:id', permission: 'targets.read', tag: 'friend-groups',
      summary: 'One friend group upload: channel, type, counts (unsaved uploads are kept 24 hours)',
      handler: async ({ caller, params }) => groups.getUpload(caller, params.id),
    }),
    route({
      method: 'get', path: '/v1/targets/friend-groups/uploads/:id/failures', permission: 'targets.read', tag: 'friend-groups', produces: 'text/csv',
      summary: 'The failed rows of a friend group upload as CSV (실패 리스트): row number, value, rule and message',
      handler: async ({ caller, params, res }) => sendFailures(res, `${params.id}_failures.csv`, await groups.failures(caller, params.id)),
    }),
    route({
      method: 'post', path: '/v1/targets/friend-groups', permission: 'targets.write', tag: 'friend-groups', body: 'friend-group-create', status: 201, errors: [409, 422],
      summary: 'Save an upload as a friend group under a unique name (at most 30 per ad account); its friend count is counted in the background',
      handler: async ({ caller, body }) => groups.create(caller, body),
    }),
    route({
      method: 'get', path: '/v1/targets/friend-groups', permission: 'targets.read', tag: 'friend-groups',
      summary: 'Friend groups: channel, friend type, registered count and friend count (준비중 / number / 생성실패 / 조회중 / 조회실패)',
      handler: async ({ caller }) => ({ items: await groups.list(caller) }),
    }),
    route({
      method: 'get', path: '/v1/targets/friend-groups/:id', permission: 'targets.read', tag: 'friend-groups',
      summary: 'One friend group with its counts, friend count and usage (친구그룹 사용현황)',
      handler: async ({ caller, params }) => groups.get(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/targets/friend-groups/:id', permission: 'targets.write', tag: 'friend-groups', body: 'friend-group-update', errors: [409],
      summary: 'Rename a friend group (names are unique per ad account)',
      handler: async ({ caller, params, body }) => groups.rename(caller, params.id, body.name),
    }),
    route({
      method: 'delete', path: '/v1/targets/friend-groups/:id', permission: 'targets.write', tag: 'friend-groups', errors: [409],
      summary: 'Delete a friend group no message campaign uses (409 with its usage otherwise)',
      handler: async ({ caller, params }) => groups.delete(caller, params.id),
    }),
  ];
}
