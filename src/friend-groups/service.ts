/**
 * Talk channels (카카오톡 채널), their friends, and friend groups (친구그룹).
 *
 * - A talk channel belongs to an ad account (name + search id such as `@프렌즈샵`). Its friendships
 *   are first-party data: each friend identity (phone number or app user id) is stored as a
 *   universe node and appended to the universe inbox in the same transaction.
 * - A friend group is a file of phone numbers or app user ids uploaded for one channel (the shared
 *   upload pipeline of customer files), saved under a unique name; at most 30 per ad account (the
 *   target registry). Its friend count (친구수) is its population: the people of the group who are
 *   friends of the channel, matched through the universe (a member listed by phone number counts
 *   when the same person is a friend by app user id, and the other way round). Kakao's states:
 *   준비중 · the number · 생성실패 · 조회중 · 조회실패. Friend groups only narrow the recipients of
 *   message campaigns that send to the channel's friends (the campaigns module uses them).
 */
import type { Readable } from 'node:stream';
import type { AuditService } from '../audit/service';
import type { Clock } from '../core/clock';
import type { Db, Queryable, Tx } from '../core/db';
import { Conflict, Duplicate, NotFound, ruleError, UnprocessableRequest } from '../core/errors';
import type { FieldError } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import { normalizeAppUserId, NormalizeResult } from '../namespaces/identity';
import { DAY_MS, type PopulationSource } from '../populations/service';
import type { TargetBase, TargetRow, TargetService, TargetUser } from '../targets/service';
import { node } from '../universe/nodes';
import type { SqlFragment, UniverseService, UniverseSource } from '../universe/service';
import { templateCsv, toCounts, toUploadView, UploadCounts, UploadEncoding, UploadRow, UploadSpec, UploadStore, UploadView } from '../customer-files/uploads';
import { normalizeFriendPhone } from './phones';

const KIND = 'friend_group';
const BASE = '/v1/targets/friend-groups';
/** Friends added or removed per request. */
export const MAX_FRIENDS_PER_REQUEST = 10_000;

export const FRIEND_TYPES = ['PHONE_NUMBER', 'APP_USER_ID'] as const;
export type FriendType = (typeof FRIEND_TYPES)[number];

/**
 * Per friend type: the file's column (its canonical header, and every name accepted for it, compared
 * ignoring case, spaces, `_` and `-`), the universe node kind, the value rule and the template's
 * examples (with a memo column, to show that other columns are ignored).
 */
const TYPES: Record<
  FriendType,
  { header: string; headerNames: readonly string[]; noun: string; nodeKind: 'phone' | 'app_user_id'; normalize: (raw: string) => NormalizeResult; examples: string[] }
> = {
  PHONE_NUMBER: {
    header: 'phone_number',
    headerNames: ['phone_number', 'phone', '전화번호', 'mobile', '휴대폰번호', '휴대전화번호'],
    noun: 'phone number',
    nodeKind: 'phone',
    normalize: normalizeFriendPhone,
    examples: ['010-1234-5678,메모 열은 읽지 않습니다', '+1 415 555 2671,해외 번호는 국가번호와 함께'],
  },
  APP_USER_ID: {
    header: 'app_user_id',
    headerNames: ['app_user_id', '앱유저아이디'],
    noun: 'app user id',
    nodeKind: 'app_user_id',
    normalize: normalizeAppUserId,
    examples: ['1234567890,메모 열은 읽지 않습니다'],
  },
};

export interface TalkChannel {
  id: string;
  name: string;
  searchId: string;
  /** Friend identities (phone numbers and app user ids) registered for the channel. */
  friendCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface FriendGroup extends TargetBase {
  channel: { id: string; name: string; searchId: string };
  friendType: FriendType;
  /** Distinct valid identifiers of the file (등록 현황). */
  registeredCount: number;
  failedCount: number;
  duplicateCount: number;
  /** 친구수: members who are friends of the channel; null until first counted (준비중). */
  friendCount: number | null;
  /** What the Kakao screen shows for it: 준비중, the number, 생성실패, 조회중 or 조회실패. */
  friendCountLabel: string;
  upload: { id: string; fileName: string | null; encoding: string; bytes: number; counts: UploadCounts };
  usage: TargetUser[];
}

export interface FriendGroupUploadView extends UploadView {
  channel: { id: string; name: string };
  friendType: FriendType;
}

/** One friend in a request: a phone number or an app user id. */
export type FriendInput = { phoneNumber: string } | { appUserId: string };

/** Something that uses a channel (e.g. a message campaign sending to its friends). */
export interface ChannelUser {
  type: string;
  id: string;
  name: string;
}

export type ChannelUsageProvider = (q: Queryable, caller: Caller, channelId: string) => Promise<ChannelUser[]>;

interface ChannelRow {
  id: string;
  ad_account_id: string;
  name: string;
  search_id: string;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export class FriendGroupService {
  private readonly channelUsageProviders: ChannelUsageProvider[] = [];
  private readonly uploads: UploadStore;

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly targets: TargetService,
    private readonly universe: UniverseService,
    private readonly clock: Clock,
  ) {
    this.uploads = new UploadStore(db, clock);
  }

  /** Friend groups' populations, and the friendships' replay into a relinked universe (services.ts registers them). */
  readonly populationSources: PopulationSource[] = [{ type: KIND, people: (q, adAccountId, subjectId) => this.groupFriendsPeople(q, adAccountId, subjectId) }];
  readonly universeSources: UniverseSource[] = [
    {
      // Each friend identity is a record of its own.
      name: 'talk_channel_friends',
      replay: (tx, caller) =>
        this.universe.appendFromQuery(tx, caller.adAccountId, {
          sql: `select array[f.node] as nodes from talk_channel_friends f join talk_channels c on c.id = f.channel_id
                where c.ad_account_id = ? order by f.added_at, f.channel_id, f.node`,
          bindings: [caller.adAccountId],
        }),
    },
  ];

  // ---- hooks for the campaigns module ----------------------------------------------------------

  /** Modules that use channels (message campaigns) say who uses one; deleting it is refused meanwhile. */
  useChannelUsage(provider: ChannelUsageProvider): void {
    this.channelUsageProviders.push(provider);
  }

  /** The caller's channel, or a 422 at `pointer` (for request bodies naming a channel). */
  async assertChannel(q: Queryable, caller: Caller, channelId: string, pointer: string): Promise<{ id: string; name: string }> {
    const row = await q<ChannelRow>('talk_channels').where({ id: channelId, ad_account_id: caller.adAccountId }).first('id', 'name');
    if (!row) throw ruleError(pointer, 'exists', `Talk channel ${channelId} not found in this ad account; create it first (POST /v1/talk-channels)`);
    return { id: row.id, name: row.name };
  }

  /** SQL yielding the distinct `person_id`s of the channel's friends (through the universe). */
  channelFriendsPeople(adAccountId: string, channelId: string): SqlFragment {
    return this.universe.peopleOfNodes(
      adAccountId,
      {
        sql: `select f.node from talk_channel_friends f join talk_channels c on c.id = f.channel_id where f.channel_id = ? and c.ad_account_id = ?`,
        bindings: [channelId, adAccountId],
      },
      { unique: true },
    );
  }

  /**
   * Lookalike features: friendships with the account's talk channels, as records `(record_key,
   * nodes, feature 'friend:<channelId>', value 1)` (one record per channel, so a person befriending
   * it under two identities counts once).
   */
  friendshipFeatureRecords(adAccountId: string): SqlFragment {
    return {
      sql: `select f.channel_id as record_key, array[f.node] as nodes, 'friend:' || f.channel_id as feature, 1::float8 as value
            from talk_channel_friends f join talk_channels c on c.id = f.channel_id where c.ad_account_id = ?`,
      bindings: [adAccountId],
    };
  }

  // ---- talk channels ---------------------------------------------------------------------------

  async createChannel(caller: Caller, input: { name: string; searchId: string }): Promise<TalkChannel> {
    const id = await this.db.transaction(async (tx) => {
      await this.assertSearchIdFree(tx, caller, input.searchId);
      const [row] = await tx<ChannelRow>('talk_channels')
        .insert({ id: newId('tch'), ad_account_id: caller.adAccountId, name: input.name, search_id: input.searchId, created_by: caller.keyId })
        .returning('*');
      await this.audit.record(tx, caller, { action: 'create', resourceType: 'talk_channel', resourceId: row.id, after: { name: row.name, searchId: row.search_id } });
      return row.id;
    });
    return this.getChannel(caller, id);
  }

  async listChannels(caller: Caller): Promise<TalkChannel[]> {
    return this.channelDtos(this.db, await this.db<ChannelRow>('talk_channels').where({ ad_account_id: caller.adAccountId }).orderBy('id', 'desc'));
  }

  async getChannel(caller: Caller, id: string): Promise<TalkChannel> {
    return (await this.channelDtos(this.db, [await this.findChannel(this.db, caller, id)]))[0];
  }

  async updateChannel(caller: Caller, id: string, input: { name?: string; searchId?: string }): Promise<TalkChannel> {
    await this.db.transaction(async (tx) => {
      const before = await this.findChannel(tx, caller, id, true);
      const changes: Partial<ChannelRow> = {};
      if (input.name !== undefined && input.name !== before.name) changes.name = input.name;
      if (input.searchId !== undefined && input.searchId !== before.search_id) {
        await this.assertSearchIdFree(tx, caller, input.searchId, id);
        changes.search_id = input.searchId;
      }
      if (Object.keys(changes).length === 0) return;
      await tx('talk_channels').where({ id }).update({ ...changes, updated_at: tx.fn.now() });
      await this.audit.record(tx, caller, {
        action: 'update',
        resourceType: 'talk_channel',
        resourceId: id,
        before: { name: before.name, searchId: before.search_id },
        after: { name: changes.name ?? before.name, searchId: changes.search_id ?? before.search_id },
      });
    });
    return this.getChannel(caller, id);
  }

  /** Refused while friend groups or campaigns use the channel (409 listing them). */
  async deleteChannel(caller: Caller, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.findChannel(tx, caller, id, true);
      const users: ChannelUser[] = (await this.groupsOfChannel(tx, caller, id)).map((g) => ({ type: 'friend_group', id: g.id, name: g.name }));
      for (const provider of this.channelUsageProviders) users.push(...(await provider(tx, caller, id)));
      if (users.length > 0) {
        throw new Conflict(
          `Talk channel "${row.name}" is used by ${users.map((u) => `${u.type.replace('_', ' ')} "${u.name}"`).join(', ')}; delete or change them first`,
          { usage: users },
        );
      }
      // Uploads made for this channel and never saved go with it.
      await this.uploads.discardUnsaved(tx, caller, KIND, 'channelId', id);
      await tx('talk_channels').where({ id }).delete();
      await this.audit.record(tx, caller, { action: 'delete', resourceType: 'talk_channel', resourceId: id, before: { name: row.name, searchId: row.search_id } });
    });
  }

  // ---- friends ---------------------------------------------------------------------------------

  /**
   * Adds friends (idempotent: a friend already there keeps its added_at). Every identity joins the
   * universe in the same transaction; the channel's friend groups are counted again soon.
   */
  async addFriends(caller: Caller, channelId: string, friends: readonly FriendInput[]): Promise<{ channelId: string; received: number; added: number; alreadyFriends: number; friendCount: number }> {
    const nodes = this.friendNodes(friends);
    const added = await this.db.transaction(async (tx) => {
      await this.findChannel(tx, caller, channelId, true);
      const { rows } = await tx.raw(
        `insert into talk_channel_friends (channel_id, node, added_at, ad_account_id)
         select ?, n, ?, ? from unnest(?::text[]) as n
         on conflict (channel_id, node, ad_account_id) do nothing
         returning node`,
        [channelId, this.clock.now(), caller.adAccountId, nodes],
      );
      await this.universe.append(tx, caller.adAccountId, nodes.map((n) => [n]));
      if (rows.length > 0) {
        await this.markGroupsDue(tx, caller, channelId);
        await this.audit.record(tx, caller, { action: 'update', resourceType: 'talk_channel', resourceId: channelId, after: { friendsAdded: rows.length } });
      }
      return rows.length as number;
    });
    return { channelId, received: friends.length, added, alreadyFriends: nodes.length - added, friendCount: await this.friendCount(channelId) };
  }

  /** Removes friendships (the universe keeps the identities: the graph only grows). */
  async removeFriends(caller: Caller, channelId: string, friends: readonly FriendInput[]): Promise<{ channelId: string; received: number; removed: number; notFriends: number; friendCount: number }> {
    const nodes = this.friendNodes(friends);
    const removed = await this.db.transaction(async (tx) => {
      await this.findChannel(tx, caller, channelId, true);
      const n = await tx('talk_channel_friends').where({ channel_id: channelId }).whereIn('node', nodes).delete();
      if (n > 0) {
        await this.markGroupsDue(tx, caller, channelId);
        await this.audit.record(tx, caller, { action: 'update', resourceType: 'talk_channel', resourceId: channelId, after: { friendsRemoved: n } });
      }
      return n;
    });
    return { channelId, received: friends.length, removed, notFriends: nodes.length - removed, friendCount: await this.friendCount(channelId) };
  }

  // ---- friend groups ---------------------------------------------------------------------------

  template(type: FriendType): string {
    const t = TYPES[type];
    return templateCsv(`${t.header},메모`, t.examples);
  }

  /** Step 2 of 친구그룹 등록: the file of one friend type for one channel, and its registration result. */
  async upload(
    caller: Caller,
    channelId: string,
    type: FriendType,
    body: Readable,
    opts: { contentLength?: number; encoding?: UploadEncoding; fileName?: string },
  ): Promise<FriendGroupUploadView> {
    let channel: { id: string; name: string };
    try {
      channel = await this.assertChannel(this.db, caller, channelId, '/query/channelId');
    } catch (err) {
      body.resume();
      throw err;
    }
    const t = TYPES[type];
    const otherType: FriendType = type === 'PHONE_NUMBER' ? 'APP_USER_ID' : 'PHONE_NUMBER';
    const spec: UploadSpec = {
      kind: KIND,
      identifierType: type,
      header: t.header,
      headerNames: t.headerNames,
      noun: t.noun,
      // A row may carry both kinds of id; the upload's type says which one is read.
      otherKind: {
        headerNames: TYPES[otherType].headerNames,
        noun: TYPES[otherType].noun,
        advice: `upload the file with type=${otherType}, or add a column "${t.header}" with the ${t.noun}s`,
      },
      nodeKind: t.nodeKind,
      normalize: t.normalize,
      templateUrl: `${BASE}/template?type=${type}`,
      options: { channelId: channel.id },
    };
    const row = await this.uploads.ingest(caller, spec, { body, ...opts });
    return this.uploadView(row, channel);
  }

  async getUpload(caller: Caller, id: string): Promise<FriendGroupUploadView> {
    const row = await this.uploads.find(this.db, caller, KIND, id);
    const channel = await this.db<ChannelRow>('talk_channels').where({ id: String(row.options.channelId), ad_account_id: caller.adAccountId }).first('id', 'name');
    return this.uploadView(row, channel ?? { id: String(row.options.channelId), name: '' });
  }

  failures(caller: Caller, id: string): Promise<Readable> {
    return this.uploads.failures(caller, KIND, id);
  }

  /** Step 3: saves an upload as a friend group (channel and type come from the upload). */
  async create(caller: Caller, input: { uploadId: string; name: string }): Promise<FriendGroup> {
    const row = await this.db.transaction(async (tx) => {
      const upload = await this.uploads.claim(tx, caller, KIND, input.uploadId, '/uploadId', 'friend group');
      const channelId = String(upload.options.channelId);
      // The channel row is locked so it cannot be deleted while the group is being made.
      await this.findChannel(tx, caller, channelId, true).catch(() => {
        throw ruleError('/uploadId', 'channel', `The talk channel of upload ${upload.id} was deleted; upload the file again for another channel`);
      });
      const target = await this.targets.create(tx, caller, {
        kind: KIND,
        name: input.name,
        settings: { uploadId: upload.id, channelId, friendType: upload.identifier_type },
        cadenceMs: DAY_MS,
        minimum: 0,
      });
      await this.uploads.markSaved(tx, upload.id, target.id);
      return target;
    });
    await this.targets.queueCount(row.id);
    return this.get(caller, row.id);
  }

  async list(caller: Caller): Promise<FriendGroup[]> {
    return this.groupDtos(caller, await this.targets.list(this.db, caller, KIND));
  }

  async get(caller: Caller, id: string): Promise<FriendGroup> {
    return (await this.groupDtos(caller, [await this.targets.find(this.db, caller, KIND, id)]))[0];
  }

  async rename(caller: Caller, id: string, name: string): Promise<FriendGroup> {
    await this.db.transaction((tx) => this.targets.rename(tx, caller, KIND, id, name));
    return this.get(caller, id);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.targets.delete(caller, KIND, id);
  }

  // ---- internals -------------------------------------------------------------------------------

  /** People of the group (its identities in the universe) who are friends of its channel. */
  private async groupFriendsPeople(q: Queryable, adAccountId: string, targetId: string): Promise<SqlFragment> {
    const { upload, nodes } = await this.uploads.savedEntries(q, adAccountId, targetId);
    if (!upload) throw new Error(`friend group ${targetId} has no upload`);
    const members = this.universe.peopleOfNodes(adAccountId, nodes, { unique: true });
    const friends = this.channelFriendsPeople(adAccountId, String(upload.options.channelId));
    // A set operation, not `in (…)`: hashed or sorted whatever the statistics say, never a loop
    // that recomputes the channel's friends once per member.
    return {
      sql: `select person_id from ((${members.sql}) intersect (${friends.sql})) s`,
      bindings: [...members.bindings, ...friends.bindings],
    };
  }

  /** Validates and normalises a request's friends; every invalid one is reported (422, nothing changes). */
  private friendNodes(friends: readonly FriendInput[]): string[] {
    const errors: FieldError[] = [];
    const nodes = new Set<string>();
    friends.forEach((f, i) => {
      const [field, kind, r] =
        'phoneNumber' in f ? (['phoneNumber', 'phone', normalizeFriendPhone(f.phoneNumber)] as const) : (['appUserId', 'app_user_id', normalizeAppUserId(f.appUserId)] as const);
      if (r.ok) nodes.add(node(kind, r.value));
      else if (errors.length < 100) errors.push({ pointer: `/friends/${i}/${field}`, rule: r.rule, message: r.message });
    });
    if (errors.length > 0) {
      const invalid = friends.length - nodes.size;
      throw new UnprocessableRequest(`${errors.length === 100 ? 'At least 100' : errors.length} friend${errors.length === 1 ? ' is' : 's are'} not valid; fix them and send the list again (nothing was changed)`, {
        errors,
        invalid,
      });
    }
    return [...nodes];
  }

  private async markGroupsDue(tx: Tx, caller: Caller, channelId: string): Promise<void> {
    const groups = await this.groupsOfChannel(tx, caller, channelId);
    await this.targets.populations.markDue(tx, groups.map((g) => g.id));
  }

  private async groupsOfChannel(q: Queryable, caller: Caller, channelId: string): Promise<TargetRow[]> {
    return (await this.targets.list(q, caller, KIND)).filter((t) => t.settings.channelId === channelId);
  }

  private async findChannel(q: Queryable, caller: Caller, id: string, forUpdate = false): Promise<ChannelRow> {
    const query = q<ChannelRow>('talk_channels').where({ id, ad_account_id: caller.adAccountId });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row) throw new NotFound(`Talk channel ${id} not found`);
    return row;
  }

  private async assertSearchIdFree(q: Queryable, caller: Caller, searchId: string, exceptId?: string): Promise<void> {
    const query = q('talk_channels').where({ ad_account_id: caller.adAccountId }).whereRaw('lower(search_id) = lower(?)', [searchId]);
    if (exceptId) query.whereNot({ id: exceptId });
    if (await query.first()) {
      throw new Duplicate(`A talk channel with the search id ${searchId} already exists in this ad account`, {
        errors: [{ pointer: '/searchId', rule: 'unique', message: 'is already used' }],
      });
    }
  }

  private async friendCount(channelId: string): Promise<number> {
    const [{ n }] = await this.db('talk_channel_friends').where({ channel_id: channelId }).count({ n: '*' });
    return Number(n);
  }

  private async channelDtos(q: Queryable, rows: ChannelRow[]): Promise<TalkChannel[]> {
    const counts = new Map<string, number>();
    if (rows.length > 0) {
      const found = await q('talk_channel_friends').whereIn('channel_id', rows.map((r) => r.id)).groupBy('channel_id').select('channel_id').count({ n: '*' });
      for (const r of found as { channel_id: string; n: string }[]) counts.set(r.channel_id, Number(r.n));
    }
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      searchId: r.search_id,
      friendCount: counts.get(r.id) ?? 0,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }));
  }

  private uploadView(row: UploadRow, channel: { id: string; name: string }): FriendGroupUploadView {
    return { ...toUploadView(row, `${BASE}/uploads/${row.id}/failures`), channel: { id: channel.id, name: channel.name }, friendType: row.identifier_type as FriendType };
  }

  private async groupDtos(caller: Caller, rows: TargetRow[]): Promise<FriendGroup[]> {
    const ids = rows.map((r) => r.id);
    const [bases, uploads, usage] = await Promise.all([this.targets.bases(this.db, rows), this.uploads.ofTarget(this.db, ids), this.targets.usageOf(this.db, caller, ids)]);
    const channelIds = [...new Set(rows.map((r) => String(r.settings.channelId)))];
    const channels = new Map<string, ChannelRow>();
    if (channelIds.length > 0) {
      for (const c of await this.db<ChannelRow>('talk_channels').where({ ad_account_id: caller.adAccountId }).whereIn('id', channelIds)) channels.set(c.id, c);
    }
    return bases.map((base, i) => {
      const row = rows[i];
      const upload = uploads.get(base.id);
      const counts = upload ? toCounts(upload) : { received: 0, succeeded: 0, failed: 0, duplicates: 0 };
      const channelId = String(row.settings.channelId);
      const channel = channels.get(channelId);
      return {
        ...base,
        channel: { id: channelId, name: channel?.name ?? '', searchId: channel?.search_id ?? '' },
        friendType: (row.settings.friendType as FriendType) ?? 'PHONE_NUMBER',
        registeredCount: counts.succeeded,
        failedCount: counts.failed,
        duplicateCount: counts.duplicates,
        friendCount: base.population.count,
        friendCountLabel: base.population.label,
        upload: { id: upload?.id ?? '', fileName: upload?.file_name ?? null, encoding: upload?.encoding ?? 'utf-8', bytes: Number(upload?.bytes ?? 0), counts },
        usage: usage.get(base.id) ?? [],
      };
    });
  }
}
