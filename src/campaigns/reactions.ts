/** Recording ad reactions (광고반응), and reading them back as people, lookalike features and universe records. */
import type { Readable } from 'node:stream';
import type { Queryable, Tx } from '../core/db';
import { Conflict, FieldError, InvalidRequest, UnprocessableRequest } from '../core/errors';
import { streamSlots } from '../core/slots';
import type { Caller } from '../core/types';
import { escapePointer } from '../core/validation';
import { normalizeAppUserId, normalizeDeviceId } from '../namespaces/identity';
import { node } from '../universe/nodes';
import type { SqlFragment } from '../universe/service';
import { ReactionLine, reactionLines, singleReaction } from './reaction-body';
import {
  CAMPAIGN_REACTIONS,
  type CampaignContext,
  type CampaignRef,
  type CampaignType,
  type MessageType,
  type ReactionResult,
  type ReactionSource,
  type ReactionType,
} from './types';

/** A play counts as 재생 from this length on (either one is enough). */
export const QUALIFYING_PLAY = { seconds: 3, percent: 25 } as const;
/** Reaction times may run this far ahead of our clock (device clocks drift). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
const MAX_LISTED_ERRORS = 100;
const CHUNK_LINES = 5000;

/** One reaction as stored (camelCase → columns in insertReactions). */
interface ReactionRecord {
  ad_group_id: string;
  message_id: string | null;
  source_id: string;
  type: ReactionType;
  adid: string | null;
  app_user_id: string | null;
  nodes: string[];
  occurred_at: string;
  play_seconds: number | null;
  play_percent: number | null;
  qualified: boolean;
}

/**
 * Records reactions: one JSON object (`application/json`) or JSON lines (`application/x-ndjson`,
 * at most MAX_REACTION_LINES). All or nothing: any invalid line refuses the request with 422
 * listing the first MAX_LISTED_ERRORS problems (pointer `/<line-1>/<field>`). Lines are written in
 * chunks inside one transaction while the body streams; each reaction's identity nodes join the
 * universe inbox in the same transaction.
 */
export async function recordReactions(ctx: CampaignContext, caller: Caller, contentType: string | undefined, body: Readable): Promise<ReactionResult> {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const lines = type === 'application/json' ? singleReaction(body) : ['application/x-ndjson', 'application/jsonl', 'application/json-lines'].includes(type) ? reactionLines(body) : null;
  if (!lines) throw new InvalidRequest('Send one reaction as application/json, or many as JSON lines (application/x-ndjson)');
  // The transaction stays open while the body streams: share the streaming slots with uploads.
  const slots = streamSlots(ctx.db);
  await slots.acquire();
  try {
    return await ctx.db.transaction(async (tx) => {
      const errors: FieldError[] = [];
      const result: ReactionResult = { accepted: 0, notQualifyingPlays: 0 };
      const cache = new Map<string, ResolvedSource | null>();
      let chunk: ReactionLine[] = [];
      const flush = async () => {
        const records = await checkReactions(ctx, tx, caller, chunk, cache, errors);
        chunk = [];
        // After the first error nothing more is written (it is rolled back anyway); lines are still checked.
        if (errors.length === 0 && records.length > 0) {
          await insertReactions(ctx, tx, caller.adAccountId, records);
          result.accepted += records.length;
          result.notQualifyingPlays += records.filter((r) => r.type === 'PLAY' && !r.qualified).length;
        }
      };
      for await (const line of lines) {
        chunk.push(line);
        if (chunk.length >= CHUNK_LINES) await flush();
        if (errors.length >= MAX_LISTED_ERRORS) break;
      }
      if (chunk.length && errors.length < MAX_LISTED_ERRORS) await flush();
      if (errors.length > 0) {
        const listed = errors.slice(0, MAX_LISTED_ERRORS);
        throw new UnprocessableRequest(
          `${errors.length >= MAX_LISTED_ERRORS ? `At least ${MAX_LISTED_ERRORS}` : errors.length} problem(s) in the reactions; nothing was stored. First: ${listed[0].message}`,
          { errors: listed },
        );
      }
      if (result.accepted === 0) throw new InvalidRequest('The request holds no reaction');
      return result;
    });
  } catch (err) {
    if ((err as { code?: string })?.code === '23503') throw new Conflict('An ad group or message of these reactions was deleted meanwhile; nothing was stored, send them again');
    throw err;
  } finally {
    slots.release();
  }
}

/** SQL of the people (column person_id) with the given reactions on the given sources in [from, to]. */
export function reactionPeople(ctx: CampaignContext, adAccountId: string, sel: { sourceIds: readonly string[]; types: readonly ReactionType[]; from: Date; to: Date }): SqlFragment {
  return ctx.universe.peopleOfNodes(adAccountId, {
    sql: `select unnest(r.nodes) from reactions r
          where r.ad_account_id = ? and r.source_id = any(?::text[]) and r.type = any(?::text[])
            and (r.type <> 'PLAY' or r.qualified) and r.occurred_at >= ? and r.occurred_at <= ?`,
    bindings: [adAccountId, [...sel.sourceIds], [...sel.types], sel.from, sel.to],
  });
}

/**
 * Lookalike features: the account's counted reactions since `from` (plays only when qualifying),
 * as records `(record_key, nodes, feature 'reaction:<TYPE>', value 1)`.
 */
export function reactionFeatureRecords(adAccountId: string, from: Date): SqlFragment {
  return {
    sql: `select r.id::text as record_key, r.nodes, 'reaction:' || r.type as feature, 1::float8 as value
          from reactions r where r.ad_account_id = ? and r.occurred_at >= ? and (r.type <> 'PLAY' or r.qualified)`,
    bindings: [adAccountId, from],
  };
}

/** Universe relink: every stored reaction appends its identity nodes again. */
export async function replayReactions(ctx: CampaignContext, tx: Tx, caller: Caller): Promise<void> {
  await ctx.universe.appendFromQuery(tx, caller.adAccountId, { sql: `select nodes from reactions where ad_account_id = ? order by id`, bindings: [caller.adAccountId] });
}

/** Ad groups and messages by id (those of other accounts are simply absent). */
export async function reactionSources(q: Queryable, caller: Caller, ids: readonly string[]): Promise<Map<string, ReactionSource>> {
  const out = new Map<string, ReactionSource>();
  if (ids.length === 0) return out;
  const rows: {
    id: string; kind: 'ad_group' | 'message'; name: string; ad_group_id: string | null; ad_group_name: string | null;
    campaign_id: string; campaign_name: string; campaign_type: CampaignType; message_type: MessageType | null;
  }[] = (
    await q.raw(
      `select g.id, 'ad_group' as kind, g.name, null as ad_group_id, null as ad_group_name, c.id as campaign_id, c.name as campaign_name, c.type as campaign_type, c.message_type
       from ad_groups g join campaigns c on c.id = g.campaign_id where g.ad_account_id = ? and g.id = any(?::text[])
       union all
       select m.id, 'message', m.name, g.id, g.name, c.id, c.name, c.type, c.message_type
       from messages m join ad_groups g on g.id = m.ad_group_id join campaigns c on c.id = g.campaign_id where m.ad_account_id = ? and m.id = any(?::text[])`,
      [caller.adAccountId, [...ids], caller.adAccountId, [...ids]],
    )
  ).rows;
  for (const r of rows) {
    out.set(r.id, {
      id: r.id,
      kind: r.kind,
      name: r.name,
      adGroup: r.ad_group_id ? { id: r.ad_group_id, name: r.ad_group_name! } : null,
      campaign: { id: r.campaign_id, name: r.campaign_name, type: r.campaign_type, messageType: r.message_type },
    });
  }
  return out;
}

/** Checks a chunk of lines (references looked up once per chunk) and returns the valid records. */
async function checkReactions(ctx: CampaignContext, tx: Tx, caller: Caller, lines: ReactionLine[], cache: Map<string, ResolvedSource | null>, errors: FieldError[]): Promise<ReactionRecord[]> {
  const adGroupIds = new Set<string>();
  const messageIds = new Set<string>();
  for (const l of lines) {
    const v = l.value;
    if (!v) continue;
    if (typeof v.adGroupId === 'string' && !cache.has(`g:${v.adGroupId}`)) adGroupIds.add(v.adGroupId);
    if (typeof v.messageId === 'string' && !cache.has(`m:${v.messageId}`)) messageIds.add(v.messageId);
  }
  if (adGroupIds.size || messageIds.size) {
    const found = await reactionSources(tx, caller, [...adGroupIds, ...messageIds]);
    for (const id of adGroupIds) cache.set(`g:${id}`, resolvedOf(found.get(id), 'ad_group'));
    for (const id of messageIds) cache.set(`m:${id}`, resolvedOf(found.get(id), 'message'));
  }
  const now = ctx.clock.now().getTime();
  const records: ReactionRecord[] = [];
  for (const l of lines) {
    if (errors.length >= MAX_LISTED_ERRORS) break;
    if (!l.value) {
      errors.push(...l.errors);
      continue;
    }
    const found: FieldError[] = [];
    const say = (field: string, rule: string, message: string) =>
      found.push({ pointer: `${l.prefix}/${escapePointer(field)}`, rule, message: l.prefix ? `line ${l.line}: ${message}` : message });
    const record = checkReaction(l.value as unknown as ReactionInput, cache, now, say);
    if (found.length) errors.push(...found);
    else if (record) records.push(record);
  }
  return records;
}

async function insertReactions(ctx: CampaignContext, tx: Tx, adAccountId: string, records: ReactionRecord[]): Promise<void> {
  await tx.raw(
    `insert into reactions (ad_account_id, ad_group_id, message_id, source_id, type, adid, app_user_id, nodes, occurred_at, play_seconds, play_percent, qualified)
     select ?, r.ad_group_id, r.message_id, r.source_id, r.type, r.adid, r.app_user_id, array(select jsonb_array_elements_text(r.nodes)),
            r.occurred_at, r.play_seconds, r.play_percent, r.qualified
     from jsonb_to_recordset(?::jsonb) as r(ad_group_id text, message_id text, source_id text, type text, adid text, app_user_id text, nodes jsonb,
            occurred_at timestamptz, play_seconds float8, play_percent float8, qualified boolean)`,
    [adAccountId, JSON.stringify(records)],
  );
  await ctx.universe.append(tx, adAccountId, records.map((r) => r.nodes));
  const sources = [...new Set(records.map((r) => r.source_id))];
  for (const hook of ctx.reactionHooks) await hook(tx, adAccountId, sources);
}

interface ReactionInput {
  adGroupId?: string;
  messageId?: string;
  type: ReactionType;
  adid?: string;
  appUserId?: string | number;
  occurredAt: string;
  playSeconds?: number;
  playPercent?: number;
}

/** An ad group or message looked up for reactions (null: not in this account). */
interface ResolvedSource {
  kind: 'ad_group' | 'message';
  id: string;
  name: string;
  adGroupId: string;
  campaign: CampaignRef;
}

function resolvedOf(s: ReactionSource | undefined, kind: 'ad_group' | 'message'): ResolvedSource | null {
  if (!s || s.kind !== kind) return null;
  return { kind, id: s.id, name: s.name, adGroupId: kind === 'ad_group' ? s.id : s.adGroup!.id, campaign: s.campaign };
}

/** The domain rules of one reaction; reports through `say` and returns the record when valid. */
function checkReaction(
  v: ReactionInput,
  cache: Map<string, ResolvedSource | null>,
  now: number,
  say: (field: string, rule: string, message: string) => void,
): ReactionRecord | null {
  let ok = true;
  const fail = (field: string, rule: string, message: string) => {
    ok = false;
    say(field, rule, message);
  };
  let source: ResolvedSource | null = null;
  if (v.adGroupId !== undefined && v.messageId !== undefined) {
    fail('messageId', 'one-of', 'give adGroupId (display ad group) or messageId (message), not both');
  } else if (v.adGroupId !== undefined) {
    source = cache.get(`g:${v.adGroupId}`) ?? null;
    if (!source) fail('adGroupId', 'exists', `ad group ${v.adGroupId} not found in this ad account`);
    else if (source.campaign.type !== 'DISPLAY') {
      fail('adGroupId', 'campaign-type', `ad group "${source.name}" belongs to message campaign "${source.campaign.name}": record its reactions on its messages (messageId)`);
    } else if (!CAMPAIGN_REACTIONS.DISPLAY.includes(v.type)) {
      fail('type', 'campaign-type', `display ad groups record ${CAMPAIGN_REACTIONS.DISPLAY.join(', ')}, not ${v.type}`);
    }
  } else if (v.messageId !== undefined) {
    source = cache.get(`m:${v.messageId}`) ?? null;
    if (!source) fail('messageId', 'exists', `message ${v.messageId} not found in this ad account`);
    else if (!CAMPAIGN_REACTIONS.MESSAGE.includes(v.type)) {
      fail('type', 'campaign-type', `messages record ${CAMPAIGN_REACTIONS.MESSAGE.join(', ')}, not ${v.type}`);
    }
  } else {
    fail('adGroupId', 'required', 'give adGroupId (display ad group) or messageId (message)');
  }

  let adid: string | null = null;
  let appUserId: string | null = null;
  if (v.adid === undefined && v.appUserId === undefined) fail('adid', 'required', 'give at least one identifier: adid or appUserId');
  if (v.adid !== undefined) {
    const r = normalizeDeviceId(v.adid);
    if (r.ok) adid = r.value;
    else fail('adid', r.rule, `adid: ${r.message}`);
  }
  if (v.appUserId !== undefined) {
    if (typeof v.appUserId === 'number' && !Number.isSafeInteger(v.appUserId)) {
      fail('appUserId', 'precision', 'appUserId is too large for a JSON number; send it as a string');
    } else {
      const r = normalizeAppUserId(String(v.appUserId));
      if (r.ok) appUserId = r.value;
      else fail('appUserId', r.rule, `appUserId: ${r.message}`);
    }
  }

  const at = new Date(v.occurredAt);
  if (Number.isNaN(at.getTime())) fail('occurredAt', 'format', 'occurredAt is not a valid time');
  else if (at.getTime() > now + FUTURE_TOLERANCE_MS) fail('occurredAt', 'not-future', `occurredAt ${v.occurredAt} is in the future; send reactions once they happened`);

  const hasPlay = v.playSeconds !== undefined || v.playPercent !== undefined;
  if (v.type === 'PLAY' && !hasPlay) fail('playSeconds', 'required', 'a PLAY needs playSeconds or playPercent (it counts from 3 seconds or 25 % of the video)');
  if (v.type !== 'PLAY' && hasPlay) fail(v.playSeconds !== undefined ? 'playSeconds' : 'playPercent', 'play-only', 'playSeconds and playPercent belong to PLAY reactions only');

  if (!ok || !source) return null;
  const qualified = v.type !== 'PLAY' || (v.playSeconds ?? 0) >= QUALIFYING_PLAY.seconds || (v.playPercent ?? 0) >= QUALIFYING_PLAY.percent;
  return {
    ad_group_id: source.adGroupId,
    message_id: source.kind === 'message' ? source.id : null,
    source_id: source.id,
    type: v.type,
    adid,
    app_user_id: appUserId,
    nodes: [adid ? node('adid', adid) : null, appUserId ? node('app_user_id', appUserId) : null].filter((n): n is string => n !== null),
    occurred_at: at.toISOString(),
    play_seconds: v.playSeconds ?? null,
    play_percent: v.playPercent ?? null,
    qualified,
  };
}
