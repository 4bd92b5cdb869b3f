/** DTOs of the tab, as src/mat/service.ts answers them. */
import type { Population } from '../../../ui/PopulationBadge';

export const MAT_VENDORS = ['appsflyer', 'adjust', 'kochava', 'tune', 'igaworks', 'wisetracker'] as const;
export type MatVendor = (typeof MAT_VENDORS)[number];
export const MAT_EVENTS = ['install', 'open', 'purchase'] as const;
export type MatEvent = (typeof MAT_EVENTS)[number];

export interface LinkCode {
  id: string;
  name: string;
  code: string;
  /** /v1/mat/postbacks/{vendor}/<code> */
  postbackPath: string;
  createdAt: string;
  updatedAt: string;
}

export interface Received {
  vendor: MatVendor;
  vendorName: string;
  event: MatEvent;
  firstCollectedAt: string;
  lastCollectedAt: string;
  count: number;
}

export interface MatLink {
  id: string;
  kind: 'mat';
  name: string;
  population: Population;
  createdAt: string;
  updatedAt: string;
  linkCodeId: string;
  linkCodeName: string;
  vendor: MatVendor;
  vendorName: string;
  event: MatEvent;
  collectionType: 'RETARGETING';
  registeredAt: string | null;
}

export function counting(x: { population: Population }): boolean {
  return x.population.state === 'preparing' || x.population.state === 'querying';
}

/** The address a vendor posts to (Adjust: the callback with its placeholders). */
export function postbackUrl(code: LinkCode, vendor: MatVendor): string {
  const base = `${window.location.origin}${code.postbackPath.replace('{vendor}', vendor)}`;
  return vendor === 'adjust' ? `${base}?activity_kind={activity_kind}&event_name={event_name}&gps_adid={gps_adid}&idfa={idfa}&created_at={created_at}` : base;
}
