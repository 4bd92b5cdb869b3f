/** How insight values read: booleans and nulls in words, numbers and dates in the reader's locale. */
import type { TFunction } from 'i18next';
import { formatNumber } from '../../../i18n';

export function formatValue(v: unknown, t: TFunction): string {
  if (v === null || v === undefined) return t('insights.none');
  if (typeof v === 'boolean') return v ? t('insights.true') : t('insights.false');
  if (typeof v === 'number') return formatNumber(v);
  if (Array.isArray(v)) return v.map((x) => formatValue(x, t)).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A histogram edge: whole numbers as they are, real numbers to 2 decimals, dates as days, times to the minute. */
export function formatEdge(v: number | string, kind: string): string {
  if (typeof v === 'number') return kind === 'integer' ? formatNumber(v) : new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 }).format(v);
  if (kind === 'date-time') return v.slice(0, 16).replace('T', ' ');
  return v;
}
