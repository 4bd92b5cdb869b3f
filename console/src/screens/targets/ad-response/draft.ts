/**
 * The wizard's draft and what is derived from it: the combination's label (클릭-재생, 클릭&재생,
 * 재생/클릭/전환 전체) and the generated name — the API's rule (src/ad-response/service.ts autoName),
 * in the chosen language, with " (2)", " (3)" appended when the account already has that name.
 */
import type { TFunction } from 'i18next';
import { CAMPAIGN_REACTIONS, type CampaignType, type Reaction } from '../campaigns/types';
import type { Combination, ReactionSource } from './types';

export const MAX_SOURCES = 10;
export const MAX_DAYS = 90;
const MAX_NAME = 100;

export interface Draft {
  campaignType: CampaignType | null;
  campaignId: string | null;
  sources: ReactionSource[];
  combination: Combination;
  collectionDays: number;
  /** null until the user types one: the generated name is shown and follows the draft. */
  name: string | null;
}

export const emptyDraft = (): Draft => ({ campaignType: null, campaignId: null, sources: [], combination: { type: 'ALL' }, collectionDays: 30, name: null });

/** A combination of the other campaign type's reactions reset to a valid one. */
export function combinationFor(type: CampaignType, c: Combination): Combination {
  const allowed = CAMPAIGN_REACTIONS[type];
  const ok = (r: Reaction) => allowed.includes(r);
  switch (c.type) {
    case 'ALL':
      return c;
    case 'ONE':
      return ok(c.reaction) ? c : { type: 'ONE', reaction: 'CLICK' };
    case 'DIFFERENCE':
      return ok(c.include) && ok(c.exclude) ? c : { type: 'DIFFERENCE', include: 'CLICK', exclude: allowed[0] };
    case 'INTERSECTION':
      return { type: 'INTERSECTION', reactions: c.reactions.filter(ok) };
  }
}

/** Why the combination cannot be used yet (i18n key), or null. */
export function combinationProblem(c: Combination): string | null {
  if (c.type === 'DIFFERENCE' && c.include === c.exclude) return 'wizard.needDistinct';
  if (c.type === 'INTERSECTION' && c.reactions.length < 2) return 'wizard.needTwo';
  return null;
}

export function combinationLabel(t: TFunction, type: CampaignType, c: Combination): string {
  const r = (x: Reaction) => t(`reactions.${x}`);
  switch (c.type) {
    case 'ONE':
      return r(c.reaction);
    case 'ALL':
      return t('allOf', { reactions: CAMPAIGN_REACTIONS[type].map(r).join('/') });
    case 'DIFFERENCE':
      return `${r(c.include)}-${r(c.exclude)}`;
    case 'INTERSECTION':
      return c.reactions.map(r).join('&');
  }
}

/** `<first source> 외 N개 · 클릭-재생 · 30일`, free among `taken` names. */
export function generatedName(t: TFunction, draft: Draft, taken: readonly string[]): string {
  if (!draft.campaignType || draft.sources.length === 0) return '';
  const label = combinationLabel(t, draft.campaignType, draft.combination);
  const more = draft.sources.length - 1;
  const first = draft.sources[0].name;
  const tail = (more > 0 ? t('autoNameMore', { first: '', more, label, days: draft.collectionDays }) : t('autoName', { first: '', label, days: draft.collectionDays }));
  const room = MAX_NAME - tail.length;
  const base = (first.length > room ? `${first.slice(0, Math.max(1, room - 1))}…` : first) + tail;
  const used = new Set(taken.map((n) => n.toLowerCase()));
  if (!used.has(base.toLowerCase())) return base;
  for (let i = 2; ; i++) {
    const suffix = ` (${i})`;
    const name = base.slice(0, MAX_NAME - suffix.length) + suffix;
    if (!used.has(name.toLowerCase())) return name;
  }
}
