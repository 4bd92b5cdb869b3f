/**
 * Ad-response targets (광고반응타겟): people who reacted to chosen ad groups (display campaigns) or
 * messages (message campaigns) within a collection period (수집기간, 1–90 days back from today),
 * with the reactions combined as ONE reaction, ALL reactions of the campaign type (전체), a
 * DIFFERENCE (A−B, e.g. 클릭-재생) or an INTERSECTION (A&B).
 *
 * - The definition lives in ad_response_targets / ad_response_sources beside the registry row (the
 *   registry's settings mirror it for the audit log). The source rows' foreign keys keep an ad group
 *   or message from being deleted while a target uses it; `assertNotSource` says so with a 409.
 * - Population: union of the reacting people per reaction, then SQL EXCEPT / INTERSECT over the
 *   person sets. It is counted once right after creation (Kakao: "익일", we do not make people wait)
 *   and then DAILY: new reactions show at the next daily refresh, and the window moves with the
 *   clock, so people whose reactions are older than the period drop out. Below 100 people it shows
 *   모수부족 (too_small) and stays usable.
 * - Messages of direct-message campaigns sent to all or grouped friends (다이렉트 메시지 > 친구
 *   전체/그룹) cannot be sources, as the seed says.
 */
import type { Db, Queryable, Tx } from '../core/db';
import type { Clock } from '../core/clock';
import { Conflict, ruleError } from '../core/errors';
import type { Caller } from '../core/types';
import type { CampaignService, CampaignType, DeletedRefs, ReactionSource, ReactionType } from '../campaigns/service';
import { CAMPAIGN_REACTIONS, REACTION_LABELS } from '../campaigns/service';
import { DAY_MS, type PopulationService, type PopulationSource } from '../populations/service';
import type { TargetBase, TargetRow, TargetService, TargetUser } from '../targets/service';
import type { SqlFragment } from '../universe/service';

/** 한 광고반응타겟에 최대 10개의 광고그룹, 메시지. */
export const MAX_SOURCES = 10;
/** 광고반응 데이터 수집기간은 최대 90일. */
export const MAX_COLLECTION_DAYS = 90;
/** Below this many people the population shows 모수부족 (too_small). */
export const AD_RESPONSE_MINIMUM = 100;
const MAX_NAME = 100;

export const COLLECTION_NOTE =
  'The population counts people who reacted within the collection period, back from today. Even if ads were delivered before, nobody may be reachable when no one reacted within the period (수집기간 내 반응한 사용자가 없는 경우 노출 대상이 없을 수 있습니다).';

export type Combination =
  | { type: 'ONE'; reaction: ReactionType }
  | { type: 'ALL' }
  | { type: 'DIFFERENCE'; include: ReactionType; exclude: ReactionType }
  | { type: 'INTERSECTION'; reactions: ReactionType[] };

export interface AdResponseInput {
  name?: string;
  campaignType: CampaignType;
  sources: string[];
  combination: Combination;
  collectionDays: number;
}

export interface AdResponseTarget extends TargetBase {
  campaignType: CampaignType;
  sources: ReactionSource[];
  combination: Combination & { label: string };
  collectionDays: number;
  /** The reactions counted now: from (today − collectionDays) to now. */
  collectionWindow: { from: string; to: string };
  dataGuide: { reactions: { type: ReactionType; label: string }[] };
  note: string;
  usage: TargetUser[];
}

interface Definition {
  campaignType: CampaignType;
  sources: ReactionSource[];
  combination: Combination;
  collectionDays: number;
}

interface DefinitionRow {
  target_id: string;
  ad_account_id: string;
  campaign_type: CampaignType;
  combination: Combination;
  collection_days: number;
}

export class AdResponseService {
  constructor(
    private readonly db: Db,
    private readonly targets: TargetService,
    private readonly populations: PopulationService,
    private readonly campaigns: CampaignService,
    private readonly clock: Clock,
  ) {}

  /** Ad-response targets' daily populations (services.ts registers it). */
  readonly populationSources: PopulationSource[] = [{ type: 'ad_response', people: (q, adAccountId, subjectId, now) => this.people(q, adAccountId, subjectId, now) }];

  async create(caller: Caller, input: AdResponseInput): Promise<AdResponseTarget> {
    const def = await this.checkDefinition(this.db, caller, input);
    const row = await sourcesStillThere(() => this.db.transaction(async (tx) => {
      const name = input.name ?? (await this.freeName(tx, caller, autoName(def)));
      const created = await this.targets.create(tx, caller, {
        kind: 'ad_response',
        name,
        settings: settingsOf(def),
        cadenceMs: DAY_MS,
        minimum: AD_RESPONSE_MINIMUM,
      });
      await this.writeDefinition(tx, caller, created.id, def, false);
      return created;
    }));
    await this.targets.queueCount(row.id);
    return this.dto(caller, row);
  }

  async list(caller: Caller): Promise<AdResponseTarget[]> {
    const rows = await this.targets.list(this.db, caller, 'ad_response');
    return this.dtos(caller, rows);
  }

  async get(caller: Caller, id: string): Promise<AdResponseTarget> {
    return this.dto(caller, await this.targets.find(this.db, caller, 'ad_response', id));
  }

  /** Rename, or change the definition (the population becomes due at once). */
  async update(caller: Caller, id: string, patch: Partial<AdResponseInput>): Promise<AdResponseTarget> {
    const current = await this.targets.find(this.db, caller, 'ad_response', id);
    const definitionChanged = patch.campaignType !== undefined || patch.sources !== undefined || patch.combination !== undefined || patch.collectionDays !== undefined;
    let def: Definition | null = null;
    if (definitionChanged) {
      const stored = await this.storedDefinition(this.db, id);
      def = await this.checkDefinition(this.db, caller, {
        campaignType: patch.campaignType ?? stored.campaignType,
        sources: patch.sources ?? stored.sourceIds,
        combination: patch.combination ?? stored.combination,
        collectionDays: patch.collectionDays ?? stored.collectionDays,
      });
    }
    const row = await sourcesStillThere(() => this.db.transaction(async (tx) => {
      let r: TargetRow = current;
      if (patch.name !== undefined) r = await this.targets.rename(tx, caller, 'ad_response', id, patch.name);
      if (def) {
        r = await this.targets.updateSettings(tx, caller, 'ad_response', id, settingsOf(def));
        await this.writeDefinition(tx, caller, id, def, true);
      }
      return r;
    }));
    return this.dto(caller, row);
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.targets.delete(caller, 'ad_response', id);
  }

  /** Campaign deletions: an ad group or message that is a source of a target cannot go. */
  async assertNotSource(tx: Tx, caller: Caller, refs: DeletedRefs): Promise<void> {
    const adGroupIds = refs.adGroups.map((g) => g.id);
    const messageIds = refs.messages.map((m) => m.id);
    if (adGroupIds.length === 0 && messageIds.length === 0) return;
    const used: { target_id: string; source_id: string }[] = (
      await tx.raw(
        `select distinct target_id, coalesce(ad_group_id, message_id) as source_id from ad_response_sources
         where ad_account_id = ? and (ad_group_id = any(?::text[]) or message_id = any(?::text[]))`,
        [caller.adAccountId, adGroupIds, messageIds],
      )
    ).rows;
    if (used.length === 0) return;
    const targetIds = [...new Set(used.map((u) => u.target_id))];
    const targets = (await this.targets.list(tx, caller, 'ad_response')).filter((t) => targetIds.includes(t.id));
    const sourceNames = [...refs.adGroups.map((g) => ({ ...g, what: 'ad group' })), ...refs.messages.map((m) => ({ ...m, what: 'message' }))]
      .filter((s) => used.some((u) => u.source_id === s.id))
      .map((s) => `${s.what} "${s.name}"`);
    const what = refs.campaigns.length ? `Campaign "${refs.campaigns[0].name}" has ${sourceNames.join(', ')}, which` : `The ${sourceNames.join(', ')}`;
    throw new Conflict(
      `${what} ${sourceNames.length > 1 ? 'are sources' : 'is a source'} of ad-response target${targets.length > 1 ? 's' : ''} ${targets.map((t) => `"${t.name}"`).join(', ')} (광고반응타겟); remove ${sourceNames.length > 1 ? 'them' : 'it'} from the target${targets.length > 1 ? 's' : ''} or delete ${targets.length > 1 ? 'those' : 'that'} first`,
      { targets: targets.map((t) => ({ id: t.id, name: t.name })), sources: used.map((u) => u.source_id) },
    );
  }

  /**
   * New reactions on some sources: the ad-response targets built on them are counted again at the
   * next tick (a minute), not a day later — the number users see follows the reactions.
   */
  async reactionsArrived(tx: Tx, adAccountId: string, sourceIds: readonly string[]): Promise<void> {
    if (sourceIds.length === 0) return;
    const targets = await tx('ad_response_sources as s')
      .join('ad_response_targets as t', 't.target_id', 's.target_id')
      .where('t.ad_account_id', adAccountId)
      .where((w) => w.whereIn('s.ad_group_id', sourceIds).orWhereIn('s.message_id', sourceIds))
      .distinct('s.target_id');
    await this.populations.markDue(tx, targets.map((t: { target_id: string }) => t.target_id));
  }

  // ---- population ------------------------------------------------------------------------------

  /** People who reacted on the sources within the period ending `now`, combined as defined. */
  private async people(q: Queryable, adAccountId: string, subjectId: string, now: Date): Promise<SqlFragment> {
    const def = await q<DefinitionRow>('ad_response_targets').where({ target_id: subjectId, ad_account_id: adAccountId }).first();
    if (!def) return { sql: 'select null::bigint as person_id where false', bindings: [] };
    const sources = await q('ad_response_sources').where({ target_id: subjectId }).orderBy('position').select('ad_group_id', 'message_id');
    const sourceIds = sources.map((s: { ad_group_id: string | null; message_id: string | null }) => (s.ad_group_id ?? s.message_id)!);
    const from = new Date(now.getTime() - def.collection_days * DAY_MS);
    const who = (types: readonly ReactionType[]) => this.campaigns.reactionPeople(adAccountId, { sourceIds, types, from, to: now });
    const c = def.combination;
    switch (c.type) {
      case 'ONE':
        return who([c.reaction]);
      case 'ALL':
        return who(CAMPAIGN_REACTIONS[def.campaign_type]);
      case 'DIFFERENCE':
        return combine('except', [who([c.include]), who([c.exclude])]);
      case 'INTERSECTION':
        return combine('intersect', c.reactions.map((r) => who([r])));
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  private async checkDefinition(q: Queryable, caller: Caller, input: AdResponseInput): Promise<Definition> {
    const { campaignType, sources, combination, collectionDays } = input;
    if (sources.length === 0) throw ruleError('/sources', 'min-items', 'Choose at least one ad group (display) or message (message campaign)');
    if (sources.length > MAX_SOURCES) {
      throw ruleError('/sources', 'max-items', `An ad-response target combines at most ${MAX_SOURCES} ad groups or messages (최대 10개); remove ${sources.length - MAX_SOURCES}`, 422, { limit: MAX_SOURCES });
    }
    if (!Number.isInteger(collectionDays) || collectionDays < 1 || collectionDays > MAX_COLLECTION_DAYS) {
      throw ruleError('/collectionDays', 'range', `The collection period (수집기간) is 1 to ${MAX_COLLECTION_DAYS} days`, 422, { min: 1, max: MAX_COLLECTION_DAYS });
    }
    const found = await this.campaigns.reactionSources(q, caller, sources);
    const described = sources.map((id, i) => {
      const s = found.get(id);
      const at = `/sources/${i}`;
      if (!s) throw ruleError(at, 'exists', `Ad group or message ${id} not found in this ad account`);
      if (campaignType === 'DISPLAY') {
        if (s.kind !== 'ad_group' || s.campaign.type !== 'DISPLAY') {
          throw ruleError(at, 'campaign-type', `${s.kind === 'message' ? 'Message' : 'Ad group'} "${s.name}" is part of message campaign "${s.campaign.name}"; a DISPLAY ad-response target takes ad groups of display campaigns`);
        }
      } else {
        if (s.kind !== 'message') {
          throw ruleError(at, 'campaign-type', `"${s.name}" is an ad group; a MESSAGE ad-response target takes messages of message campaigns`);
        }
        if (s.campaign.messageType === 'DIRECT_FRIENDS') {
          throw ruleError(
            at,
            'direct-message',
            `Message "${s.name}" belongs to campaign "${s.campaign.name}", a direct message to all or grouped friends (다이렉트 메시지 > 친구 전체/그룹); such campaigns cannot be a source of an ad-response target (광고반응타겟 생성이 불가능합니다)`,
          );
        }
      }
      return s;
    });
    const allowed = CAMPAIGN_REACTIONS[campaignType];
    const checkReaction = (r: ReactionType, at: string) => {
      if (!allowed.includes(r)) {
        throw ruleError(at, 'campaign-type', `${campaignType === 'DISPLAY' ? 'Display' : 'Message'} campaigns give ${allowed.map((a) => `${a} (${REACTION_LABELS[a]})`).join(', ')}, not ${r}`);
      }
    };
    switch (combination.type) {
      case 'ONE':
        checkReaction(combination.reaction, '/combination/reaction');
        break;
      case 'DIFFERENCE':
        checkReaction(combination.include, '/combination/include');
        checkReaction(combination.exclude, '/combination/exclude');
        if (combination.include === combination.exclude) throw ruleError('/combination/exclude', 'distinct', 'A difference needs two different reactions (e.g. CLICK − PLAY)');
        break;
      case 'INTERSECTION':
        combination.reactions.forEach((r, i) => checkReaction(r, `/combination/reactions/${i}`));
        break;
      case 'ALL':
        break;
    }
    return { campaignType, sources: described, combination: normalised(combination), collectionDays };
  }

  private async writeDefinition(tx: Tx, caller: Caller, targetId: string, def: Definition, replace: boolean): Promise<void> {
    if (replace) {
      await tx('ad_response_sources').where({ target_id: targetId }).delete();
      await tx('ad_response_targets').where({ target_id: targetId }).delete();
    }
    await tx('ad_response_targets').insert({
      target_id: targetId,
      ad_account_id: caller.adAccountId,
      campaign_type: def.campaignType,
      combination: JSON.stringify(def.combination),
      collection_days: def.collectionDays,
    });
    await tx('ad_response_sources').insert(
      def.sources.map((s, i) => ({
        target_id: targetId,
        ad_account_id: caller.adAccountId,
        position: i,
        ad_group_id: s.kind === 'ad_group' ? s.id : null,
        message_id: s.kind === 'message' ? s.id : null,
      })),
    );
  }

  private async storedDefinition(q: Queryable, id: string): Promise<{ campaignType: CampaignType; sourceIds: string[]; combination: Combination; collectionDays: number }> {
    const def = await q<DefinitionRow>('ad_response_targets').where({ target_id: id }).first();
    if (!def) throw new Error(`ad-response target ${id} has no definition`);
    const sources = await q('ad_response_sources').where({ target_id: id }).orderBy('position');
    return {
      campaignType: def.campaign_type,
      sourceIds: sources.map((s: { ad_group_id: string | null; message_id: string | null }) => (s.ad_group_id ?? s.message_id)!),
      combination: def.combination,
      collectionDays: def.collection_days,
    };
  }

  /** A generated name that is free: "… (2)", "… (3)" after a clash. */
  private async freeName(q: Queryable, caller: Caller, base: string): Promise<string> {
    const taken = new Set((await this.targets.list(q, caller, 'ad_response')).map((t) => t.name.toLowerCase()));
    if (!taken.has(base.toLowerCase())) return base;
    for (let i = 2; ; i++) {
      const suffix = ` (${i})`;
      const name = base.slice(0, MAX_NAME - suffix.length) + suffix;
      if (!taken.has(name.toLowerCase())) return name;
    }
  }

  private async dto(caller: Caller, row: TargetRow): Promise<AdResponseTarget> {
    return (await this.dtos(caller, [row]))[0];
  }

  private async dtos(caller: Caller, rows: TargetRow[]): Promise<AdResponseTarget[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const defs = new Map((await this.db<DefinitionRow>('ad_response_targets').whereIn('target_id', ids)).map((d) => [d.target_id, d]));
    const sourceRows: { target_id: string; ad_group_id: string | null; message_id: string | null }[] = await this.db('ad_response_sources')
      .whereIn('target_id', ids)
      .orderBy(['target_id', 'position']);
    const described = await this.campaigns.reactionSources(this.db, caller, sourceRows.map((s) => (s.ad_group_id ?? s.message_id)!));
    const bases = await this.targets.bases(this.db, rows);
    const usage = await this.targets.usageOf(this.db, caller, ids);
    const now = this.clock.now();
    return rows.map((r, i) => {
      const def = defs.get(r.id)!;
      const sources = sourceRows.filter((s) => s.target_id === r.id).map((s) => described.get((s.ad_group_id ?? s.message_id)!)!);
      return {
        ...bases[i],
        campaignType: def.campaign_type,
        sources,
        combination: { ...def.combination, label: combinationLabel(def.campaign_type, def.combination) },
        collectionDays: def.collection_days,
        collectionWindow: { from: new Date(now.getTime() - def.collection_days * DAY_MS).toISOString(), to: now.toISOString() },
        dataGuide: { reactions: CAMPAIGN_REACTIONS[def.campaign_type].map((t) => ({ type: t, label: REACTION_LABELS[t] })) },
        note: COLLECTION_NOTE,
        usage: usage.get(r.id) ?? [],
      };
    });
  }
}

/** A source deleted between the check and the insert fails its foreign key: say so with a 409. */
async function sourcesStillThere<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if ((err as { code?: string })?.code === '23503') throw new Conflict('An ad group or message of this target was deleted meanwhile; choose the sources again');
    throw err;
  }
}

function combine(op: 'except' | 'intersect', parts: SqlFragment[]): SqlFragment {
  return {
    sql: `select person_id from (${parts.map((p) => `(${p.sql})`).join(` ${op} `)}) s`,
    bindings: parts.flatMap((p) => p.bindings),
  };
}

/** Only the keys of the combination's type (the request schema already refuses others). */
function normalised(c: Combination): Combination {
  switch (c.type) {
    case 'ONE':
      return { type: 'ONE', reaction: c.reaction };
    case 'ALL':
      return { type: 'ALL' };
    case 'DIFFERENCE':
      return { type: 'DIFFERENCE', include: c.include, exclude: c.exclude };
    case 'INTERSECTION':
      return { type: 'INTERSECTION', reactions: [...c.reactions] };
  }
}

/** 클릭 · 재생/클릭/전환 전체 · 클릭-재생 · 클릭&재생 */
export function combinationLabel(campaignType: CampaignType, c: Combination): string {
  switch (c.type) {
    case 'ONE':
      return REACTION_LABELS[c.reaction];
    case 'ALL':
      return `${CAMPAIGN_REACTIONS[campaignType].map((r) => REACTION_LABELS[r]).join('/')} 전체`;
    case 'DIFFERENCE':
      return `${REACTION_LABELS[c.include]}-${REACTION_LABELS[c.exclude]}`;
    case 'INTERSECTION':
      return c.reactions.map((r) => REACTION_LABELS[r]).join('&');
  }
}

/** `<first source> 외 N개 · 클릭-재생 · 30일`, at most MAX_NAME characters. */
export function autoName(def: Pick<Definition, 'campaignType' | 'sources' | 'combination' | 'collectionDays'>): string {
  const more = def.sources.length > 1 ? ` 외 ${def.sources.length - 1}개` : '';
  const tail = `${more} · ${combinationLabel(def.campaignType, def.combination)} · ${def.collectionDays}일`;
  const first = def.sources[0].name;
  const room = MAX_NAME - tail.length;
  return (first.length > room ? `${first.slice(0, Math.max(1, room - 1))}…` : first) + tail;
}

function settingsOf(def: Definition): Record<string, unknown> {
  return {
    campaignType: def.campaignType,
    sources: def.sources.map((s) => ({ id: s.id, kind: s.kind })),
    combination: def.combination,
    collectionDays: def.collectionDays,
  };
}
