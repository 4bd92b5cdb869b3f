/**
 * The catalogs that ship in code: core data usage labels and core marketing actions (after Adobe
 * Experience Platform's data usage labels and marketing actions). Custom ones live in the database
 * (custom_labels, marketing_actions) and are added to these per ad account.
 *
 * Label codes and marketing action names are case-sensitive, as in Adobe's policy engine.
 */

export interface LabelDefinition {
  code: string;
  category: string;
  friendlyName: string;
  description: string;
  /** Labels this one also stands for; a policy on an implied label fires for this one too. */
  implies: readonly string[];
}

export const LABEL_CATEGORIES = {
  contract: 'Contract',
  identity: 'Identity',
  sensitive: 'Sensitive',
  partner: 'Partner ecosystem',
} as const;

/**
 * Code of the partner-ecosystem "Third-Party" label. Adobe's API code for it is not public, so we
 * chose `THIRD_PARTY`: upper case like the other core codes, and unmistakable in a policy.
 */
export const THIRD_PARTY = 'THIRD_PARTY';

const contract = (code: string, friendlyName: string, description: string, implies: string[] = []): LabelDefinition => ({
  code,
  category: LABEL_CATEGORIES.contract,
  friendlyName,
  description,
  implies,
});

export const CORE_LABELS: readonly LabelDefinition[] = [
  contract('C1', 'Aggregated export only', 'Data can only be exported in an aggregated form, without individual or device identifiers.'),
  contract('C2', 'No export to a third party', 'Data cannot be exported to a third party.'),
  contract('C3', 'No combination with directly identifiable data', 'Data cannot be combined or otherwise used with directly identifiable information.'),
  // Adobe: "C4 is the most restrictive label and encompasses labels C5, C6 and C7".
  contract('C4', 'No ad or content targeting', 'Data cannot be used for targeting any ads or content, on-site or cross-site. Implies C5, C6 and C7.', ['C5', 'C6', 'C7']),
  contract('C5', 'No interest-based cross-site targeting', 'Data cannot be used for interest-based, cross-site targeting of content or ads.'),
  contract('C6', 'No on-site ad targeting', 'Data cannot be used for on-site ad targeting.'),
  contract('C7', 'No on-site content targeting', 'Data cannot be used for on-site targeting of content.'),
  contract('C8', 'No measurement', 'Data cannot be used for measurement of your organisation\'s websites or apps.'),
  contract('C9', 'No data science', 'Data cannot be used in data science workflows.'),
  contract('C10', 'No stitched-identity activation', 'Data cannot be used for stitched (multi-identity) activation.'),
  contract('C11', 'No Segment Match', 'Data cannot be shared with Segment Match partners.'),
  contract('C12', 'No export of any kind', 'Data cannot be exported in any way.'),
  {
    code: 'I1',
    category: LABEL_CATEGORIES.identity,
    friendlyName: 'Directly identifiable',
    description: 'Data that identifies or can be used to contact a specific person, not a device (e.g. email address, phone number).',
    implies: [],
  },
  {
    code: 'I2',
    category: LABEL_CATEGORIES.identity,
    friendlyName: 'Indirectly identifiable',
    description: 'Data that can be used with other data to identify a person or device (e.g. cookie ids, advertising ids).',
    implies: [],
  },
  {
    code: 'S1',
    category: LABEL_CATEGORIES.sensitive,
    friendlyName: 'Precise geolocation',
    description: 'Latitude and longitude that can determine the precise location of a device.',
    implies: [],
  },
  {
    code: 'S2',
    category: LABEL_CATEGORIES.sensitive,
    friendlyName: 'Broad geofence',
    description: 'Location data that describes a broadly defined geofenced area.',
    implies: [],
  },
  {
    code: 'PSPD',
    category: LABEL_CATEGORIES.sensitive,
    friendlyName: 'Permitted sensitive personal data',
    description: 'Sensitive personal data that local law permits you to process (e.g. with explicit consent).',
    implies: [],
  },
  {
    code: 'RHD',
    category: LABEL_CATEGORIES.sensitive,
    friendlyName: 'Regulated health data',
    description: 'Health data that is regulated (e.g. by HIPAA or local health-data law).',
    implies: [],
  },
  {
    code: THIRD_PARTY,
    category: LABEL_CATEGORIES.partner,
    friendlyName: 'Third-Party',
    description: 'Data provided to you by a third-party data vendor. Put it on prospect (partner) data so policies can govern its use.',
    implies: [],
  },
];

export const CORE_LABELS_BY_CODE: ReadonlyMap<string, LabelDefinition> = new Map(CORE_LABELS.map((l) => [l.code, l]));

/** label → labels it implies, for the engine. */
export const LABEL_IMPLICATIONS: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  CORE_LABELS.filter((l) => l.implies.length > 0).map((l) => [l.code, l.implies]),
);

export interface MarketingActionDefinition {
  name: string;
  displayName: string;
  description: string;
}

/** Adobe's ten core marketing actions, under their API names. */
export const CORE_MARKETING_ACTIONS: readonly MarketingActionDefinition[] = [
  { name: 'analytics', displayName: 'Analytics', description: 'Using data for analytics, such as measuring, analysing and reporting on customers\' use of your sites and apps.' },
  { name: 'combineData', displayName: 'Combine with directly identifiable data', description: 'Combining data with directly identifiable (I1) data.' },
  { name: 'crossSiteTargeting', displayName: 'Cross-site targeting', description: 'Using data to target ads or content across sites and apps you do not own.' },
  { name: 'dataScience', displayName: 'Data science', description: 'Using data in data science workflows, such as training models or building predictions.' },
  { name: 'emailTargeting', displayName: 'Email targeting', description: 'Using data to target email campaigns.' },
  { name: 'exportToThirdParty', displayName: 'Export to third party', description: 'Exporting data to a party outside your organisation, such as a destination or a partner file drop.' },
  { name: 'onsiteAdvertising', displayName: 'Onsite advertising', description: 'Using data to select ads shown on your own sites and apps.' },
  { name: 'onsitePersonalization', displayName: 'Onsite personalization', description: 'Using data to personalise content on your own sites and apps.' },
  { name: 'segmentMatch', displayName: 'Segment Match', description: 'Sharing audiences with Segment Match partners (overlap and targeting with partners).' },
  { name: 'singleIdentityPersonalization', displayName: 'Single identity personalization', description: 'Using data to personalise for one identity, without stitching it to other identities.' },
];

export const CORE_MARKETING_ACTIONS_BY_NAME: ReadonlyMap<string, MarketingActionDefinition> = new Map(
  CORE_MARKETING_ACTIONS.map((a) => [a.name, a]),
);

/** Names (custom label codes, custom marketing actions) users may choose. */
export const CUSTOM_NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const CORE_LABEL_ORDER = new Map(CORE_LABELS.map((l, i) => [l.code, i]));
/** Core labels in catalog order (C1…C12, I1…), then custom ones by code. */
export function compareLabels(a: string, b: string): number {
  const ia = CORE_LABEL_ORDER.get(a) ?? Number.MAX_SAFE_INTEGER;
  const ib = CORE_LABEL_ORDER.get(b) ?? Number.MAX_SAFE_INTEGER;
  if (ia !== ib) return ia - ib;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const sortLabels = (labels: Iterable<string>): string[] => [...new Set(labels)].sort(compareLabels);
