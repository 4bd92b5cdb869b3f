/** Lookalikes' words and shapes: seed types and minimums, sizes, states, the DTOs and the rows. */
import { DAY_MS } from '../populations/service';
import type { TargetBase, TargetUser } from '../targets/service';

export const SEED_TYPES = ['CUSTOMER_FILE', 'KAKAO_USERS'] as const;
export type SeedType = (typeof SEED_TYPES)[number];
export type SeedKind = 'customer_file' | 'talk_channel' | 'ad_response';

/** Kakao: customer files of at least 2,000 people, Kakao users of at least 1,000. */
export const SEED_MINIMUM: Record<SeedType, number> = { CUSTOMER_FILE: 2000, KAKAO_USERS: 1000 };
/** A result below this many people is 모수부족 (SEED_NOT_ENOUGH). */
export const LOOKALIKE_MINIMUM = 1000;
export const DEFAULT_SIZE = 5;
export const MAX_SIZE = 10;
/** People scored per query while streaming over the universe. */
export const CHUNK_PEOPLE = 50_000;
/** Seed people sampled for training and hold-out (as many non-seed people are sampled). */
export const MAX_SEED_SAMPLE = 4000;
export const AUTO_UPDATE_BASE_MS = 7 * DAY_MS;
export const AUTO_UPDATE_SPREAD_MS = 2 * DAY_MS;
/** Longest lookalike name (generated names are cut to fit). */
export const MAX_NAME = 100;

export type LookalikeStatus = 'STANDBY' | 'AVAILABLE' | 'ERROR' | 'SEED_NOT_ENOUGH';
export const STATUS_LABELS: Record<LookalikeStatus, string> = {
  STANDBY: '준비중',
  AVAILABLE: '사용가능',
  ERROR: '사용불가',
  SEED_NOT_ENOUGH: '모수부족',
};
export const SEED_TYPE_LABELS: Record<SeedType, string> = { CUSTOMER_FILE: '고객파일', KAKAO_USERS: '카카오 사용자' };

export interface SeedCandidate {
  type: SeedType;
  kind: SeedKind;
  id: string;
  name: string;
  /** People of the account's universe in the seed now (null: not counted yet). */
  population: number | null;
  minimum: number;
  selectable: boolean;
  reason?: string;
}

export interface LookalikeQuality {
  /** Area under the ROC curve of held-out seed people vs an equal held-out non-seed sample. */
  auc: number | null;
  /** Share of held-out seed people who score within the chosen size (the top `size` % cut-off). */
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
  /** People among the members when the build completed. */
  resultPeople: number;
  trainingSeed: number;
  trainingOthers: number;
  features: number;
  /** The strongest features (standardised weights), most seed-like first. */
  topFeatures: { feature: string; weight: number }[];
  quality: LookalikeQuality | null;
}

export interface Lookalike extends Omit<TargetBase, 'updatedAt'> {
  status: LookalikeStatus;
  statusLabel: string;
  seed: { type: SeedType; typeLabel: string; kind: SeedKind; id: string; name: string; population: number; minimum: number };
  size: number;
  autoUpdate: boolean;
  /** 타겟 업데이트 일시: when the last build completed (null before the first). */
  updatedAt: string | null;
  /** When it was created or last renamed (the registry row). */
  modifiedAt: string;
  nextBuildAt: string | null;
  building: boolean;
  builds: number;
  quality: LookalikeQuality | null;
  lastBuild: BuildReport | null;
  error: string | null;
  usage: TargetUser[];
}

export interface LookalikeInput {
  seed: { type: SeedType; id: string };
  name?: string;
  size?: number;
  autoUpdate?: boolean;
}

export interface LookalikeRow {
  target_id: string;
  ad_account_id: string;
  seed_type: SeedType;
  seed_kind: SeedKind;
  seed_id: string;
  seed_name: string;
  seed_population: string;
  size: number;
  auto_update: boolean;
  status: LookalikeStatus;
  error: string | null;
  revision: number;
  builds: number;
  attempts: number;
  built_at: Date | null;
  next_build_at: Date | null;
  lease_until: Date | null;
  last_build: BuildReport | null;
}

export type ResolvedSeed = Omit<SeedCandidate, 'selectable' | 'reason'> & {
  /** Why it cannot be counted (not counted yet, failed). */
  unavailable?: string;
};

/** What a build computed, for finish() to store. */
export interface Computed {
  seedPopulation: number;
  universePeople: number;
  seedName: string;
  /** Members to keep: the top k scores. */
  k: number;
  scored: number;
  trainingSeed: number;
  trainingOthers: number;
  features: number;
  topFeatures: { feature: string; weight: number }[];
  quality: LookalikeQuality | null;
}
