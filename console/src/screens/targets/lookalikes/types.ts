/** What the lookalike screens read: the API's DTOs (src/lookalikes/service.ts). */
import type { LookalikeStatus, Population } from '../../../ui/PopulationBadge';
import type { TargetUser } from '../../../ui/TargetUsage';

export type SeedType = 'CUSTOMER_FILE' | 'KAKAO_USERS';
export type SeedKind = 'customer_file' | 'talk_channel' | 'ad_response';

export interface SeedCandidate {
  type: SeedType;
  kind: SeedKind;
  id: string;
  name: string;
  population: number | null;
  minimum: number;
  selectable: boolean;
  reason?: string;
}

export interface LookalikeQuality {
  auc: number | null;
  recallAtSize: number | null;
  heldOutSeed: number;
  heldOutOthers: number;
}

export interface BuildReport {
  number: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  seedPopulation: number;
  universePeople: number;
  scoredPeople: number;
  resultPeople: number;
  trainingSeed: number;
  trainingOthers: number;
  features: number;
  topFeatures: { feature: string; weight: number }[];
  quality: LookalikeQuality | null;
}

export interface Lookalike {
  id: string;
  kind: 'lookalike';
  name: string;
  population: Population;
  createdAt: string;
  status: LookalikeStatus;
  statusLabel: string;
  seed: { type: SeedType; typeLabel: string; kind: SeedKind; id: string; name: string; population: number; minimum: number };
  size: number;
  autoUpdate: boolean;
  updatedAt: string | null;
  modifiedAt: string;
  nextBuildAt: string | null;
  building: boolean;
  builds: number;
  quality: LookalikeQuality | null;
  lastBuild: BuildReport | null;
  error: string | null;
  usage: TargetUser[];
}

/** A build or a count is under way: lists and details poll until it settles. */
export const settling = (l: Lookalike) => l.status === 'STANDBY' || l.building || l.population.state === 'preparing' || l.population.state === 'querying';

/** Mirrors autoName in src/lookalikes/service.ts (the name the API would give), for the editable default. */
export function autoName(seedName: string, size: number): string {
  const tail = ` 유사타겟 ${size}%`;
  const room = 100 - tail.length;
  return (seedName.length > room ? `${seedName.slice(0, Math.max(1, room - 1))}…` : seedName) + tail;
}

/** The seed's own page, when it has one in this console. */
export function seedHref(s: { kind: SeedKind; id: string }): string | undefined {
  if (s.kind === 'customer_file') return `/targets/customer-files/${s.id}`;
  if (s.kind === 'ad_response') return `/targets/ad-response/${s.id}`;
  return undefined;
}
