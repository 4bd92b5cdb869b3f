/**
 * Core policies: created in every new ad account (policies.core_key set). They can be enabled or
 * disabled (and renamed), but their deny expression and marketing actions are fixed and they cannot
 * be deleted.
 *
 * Default status:
 * - Contract-label policies (C2, C4, C12) start ENABLED. They only fire once someone applies the
 *   label, which is an explicit statement about the data's contract, so enabling them costs nothing
 *   until then and protects from the first labelling on.
 * - The Third-Party policy starts DISABLED. Prospect data is labelled THIRD_PARTY as a matter of
 *   course, so enabling it by default would block all prospect email targeting (the main use of
 *   prospect audiences) until governance decides; governance opts in by enabling it.
 */
import type { DenyExpression, PolicyStatus } from './engine';
import { THIRD_PARTY } from './labels';

export interface CorePolicyDefinition {
  coreKey: string;
  name: string;
  description: string;
  status: PolicyStatus;
  marketingActions: string[];
  deny: DenyExpression;
}

/**
 * "Targeting" (C4: no ad or content targeting, on-site or cross-site): every action whose purpose is
 * to choose the ads or content a person sees —
 * crossSiteTargeting (ads/content on other sites), onsiteAdvertising (ads on own sites),
 * onsitePersonalization (content on own sites), emailTargeting (content chosen per recipient),
 * singleIdentityPersonalization (content for one identity) and segmentMatch (audiences shared with
 * partners so that they can target them). Not included: analytics, dataScience, combineData (no one
 * is targeted) and exportToThirdParty (covered by C2/C12; an export that targets is tagged with a
 * targeting action too).
 */
export const TARGETING_ACTIONS = [
  'crossSiteTargeting',
  'emailTargeting',
  'onsiteAdvertising',
  'onsitePersonalization',
  'singleIdentityPersonalization',
  'segmentMatch',
];

/**
 * "Export" (C12: no export of any kind): the actions that move data out of the platform to another
 * party — exportToThirdParty (destinations, file drops) and segmentMatch (audience data sent to
 * partners). Activations to any external destination carry exportToThirdParty, so this catches
 * every destination export; the other actions use the data inside the platform.
 */
export const EXPORT_ACTIONS = ['exportToThirdParty', 'segmentMatch'];

export const CORE_POLICIES: readonly CorePolicyDefinition[] = [
  {
    coreKey: 'C2_EXPORT_TO_THIRD_PARTY',
    name: 'Restrict data export to third parties (C2)',
    description: 'Data labelled C2 cannot be exported to a third party.',
    status: 'ENABLED',
    marketingActions: ['exportToThirdParty'],
    deny: { label: 'C2' },
  },
  {
    coreKey: 'C4_TARGETING',
    name: 'Restrict ad and content targeting (C4)',
    description: 'Data labelled C4 cannot be used for any ad or content targeting, on-site or cross-site.',
    status: 'ENABLED',
    marketingActions: TARGETING_ACTIONS,
    deny: { label: 'C4' },
  },
  {
    coreKey: 'C12_ANY_EXPORT',
    name: 'Restrict all data export (C12)',
    description: 'Data labelled C12 cannot be exported in any way.',
    status: 'ENABLED',
    marketingActions: EXPORT_ACTIONS,
    deny: { label: 'C12' },
  },
  {
    coreKey: 'THIRD_PARTY_EMAIL_DATA_SCIENCE',
    name: 'Restrict third-party data in email targeting and data science',
    description:
      'Data provided by a third-party data vendor (THIRD_PARTY) cannot be used for email targeting or data science. Disabled by default: enable it when your vendor contracts require it.',
    status: 'DISABLED',
    marketingActions: ['emailTargeting', 'dataScience'],
    deny: { label: THIRD_PARTY },
  },
];
