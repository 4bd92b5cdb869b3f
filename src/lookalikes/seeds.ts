/** Seeds: what a lookalike may be built from, and why one cannot be chosen or built. */
import type { TargetRow } from '../targets/service';
import { ResolvedSeed, SEED_MINIMUM, SeedCandidate, SeedType } from './types';

/** The seed cannot be used (gone, too small): the build is refused rather than retried. */
export class SeedRefused extends Error {}

export function minimumMessage(type: SeedType, name: string, population: number | null): string {
  const min = SEED_MINIMUM[type].toLocaleString('en-US');
  const ko = type === 'CUSTOMER_FILE' ? `모수가 ${min}명 이상인 고객파일만 선택할 수 있습니다` : `모수가 ${min}명 이상인 카카오 콘텐츠만 선택할 수 있습니다`;
  const what = type === 'CUSTOMER_FILE' ? 'customer file' : 'Kakao users';
  return `${ko} / a ${what} seed needs a population of at least ${min}: "${name}" has ${population === null ? 'not been counted yet' : population.toLocaleString('en-US')}`;
}

export function seedOfTarget(target: TargetRow, view: { state: string; count: number | null; label: string } | null | undefined): ResolvedSeed {
  const type: SeedType = target.kind === 'customer_file' ? 'CUSTOMER_FILE' : 'KAKAO_USERS';
  const counted = view && view.count !== null && view.state !== 'failed';
  return {
    type,
    kind: target.kind === 'customer_file' ? 'customer_file' : 'ad_response',
    id: target.id,
    name: target.name,
    population: counted ? view.count : null,
    minimum: SEED_MINIMUM[type],
    unavailable: counted ? undefined : `"${target.name}" has no population yet (${view?.label ?? '준비중'}); choose it once it is counted`,
  };
}

export function candidate(seed: ResolvedSeed): SeedCandidate {
  const selectable = !seed.unavailable && seed.population !== null && seed.population >= seed.minimum;
  return {
    type: seed.type,
    kind: seed.kind,
    id: seed.id,
    name: seed.name,
    population: seed.population,
    minimum: seed.minimum,
    selectable,
    ...(selectable ? {} : { reason: seed.unavailable ?? minimumMessage(seed.type, seed.name, seed.population) }),
  };
}
