/**
 * A policy's name as the console shows it: a core policy that still has its default (English) name
 * is shown by its name in the console's language; a renamed core policy and an ad account's own
 * policies keep the name they were given.
 */
import i18n from '../i18n';
import { CORE_POLICY_TEXT } from './core-policy-names';

type Named = { name: string; description?: string | null; coreKey?: string | null };

function defaults(p: Named) {
  const text = p.coreKey ? CORE_POLICY_TEXT[p.coreKey] : undefined;
  const lang = i18n.resolvedLanguage === 'ko' ? 'ko' : 'en';
  return text ? { en: text.en, shown: text[lang] } : undefined;
}

export function policyName(p: Named): string {
  const d = defaults(p);
  return d && p.name === d.en.name ? d.shown.name : p.name;
}

export function policyDescription(p: Named): string {
  const d = defaults(p);
  return d && p.description === d.en.description ? d.shown.description : (p.description ?? '');
}
