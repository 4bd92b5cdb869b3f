/**
 * Korean and English. Korean when the browser asks for it (navigator.languages), otherwise English;
 * the header's switch overrides and is remembered (localStorage). Each screen registers its own
 * namespace beside its code (`translations('datasets', { ko, en })`).
 */
import i18n from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import { common } from './shell/common-i18n';

export type Strings = { [key: string]: string | Strings };

void i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: { ko: { common: common.ko }, en: { common: common.en } },
    supportedLngs: ['ko', 'en'],
    nonExplicitSupportedLngs: true,
    fallbackLng: 'en',
    defaultNS: 'common',
    interpolation: { escapeValue: false }, // React escapes
    detection: { order: ['localStorage', 'navigator'], caches: ['localStorage'], lookupLocalStorage: 'cdp.lang' },
  });

export function translations(ns: string, strings: { ko: Strings; en: Strings }): string {
  i18n.addResourceBundle('ko', ns, strings.ko, true, true);
  i18n.addResourceBundle('en', ns, strings.en, true, true);
  return ns;
}

/** Numbers and dates as the chosen language writes them. */
export function formatNumber(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : new Intl.NumberFormat(i18n.language).format(n);
}

export function formatDate(iso: string | null | undefined): string {
  return iso ? new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '—';
}

export default i18n;
