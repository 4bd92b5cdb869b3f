/** What a lookalike's owner sets — size, name, auto-update — and what follows from it. */
import { createHash } from 'node:crypto';
import { ruleError } from '../core/errors';
import { AUTO_UPDATE_BASE_MS, AUTO_UPDATE_SPREAD_MS, MAX_NAME, MAX_SIZE } from './types';

/** 7 days + a deterministic offset within 48 h from a hash of the target id. */
export function autoUpdateDelayMs(targetId: string): number {
  const h = createHash('sha256').update(targetId).digest().readUIntBE(0, 6);
  return AUTO_UPDATE_BASE_MS + (h % AUTO_UPDATE_SPREAD_MS);
}

export function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_SIZE) {
    throw ruleError('/size', 'range', `size is 1 to ${MAX_SIZE} (% of the universe): 1 keeps the most similar people, ${MAX_SIZE} reaches the most`, 422, { min: 1, max: MAX_SIZE });
  }
}

/** `<seed name> 유사타겟 5%`, at most MAX_NAME characters. */
export function autoName(seedName: string, size: number): string {
  const tail = ` 유사타겟 ${size}%`;
  const room = MAX_NAME - tail.length;
  return (seedName.length > room ? `${seedName.slice(0, Math.max(1, room - 1))}…` : seedName) + tail;
}
