/** DTOs of the tab, as src/friend-groups/service.ts and src/customer-files/uploads.ts answer them. */
import type { Population } from '../../../ui/PopulationBadge';
import type { TargetUser } from '../../../ui/TargetUsage';

export type FriendType = 'PHONE_NUMBER' | 'APP_USER_ID';
export const FRIEND_TYPES: FriendType[] = ['PHONE_NUMBER', 'APP_USER_ID'];
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
/** POST /v1/talk-channels/{id}/friends takes at most this many per request. */
export const FRIENDS_PER_REQUEST = 10_000;

export interface TalkChannel {
  id: string;
  name: string;
  searchId: string;
  friendCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface UploadCounts {
  received: number;
  succeeded: number;
  failed: number;
  duplicates: number;
}

export interface FriendGroupUpload {
  id: string;
  status: 'ready' | 'saved';
  fileName: string | null;
  encoding: string;
  bytes: number;
  column: string | null;
  ignoredColumns: string[];
  counts: UploadCounts;
  failuresUrl: string;
  targetId: string | null;
  expiresAt: string | null;
  createdAt: string;
  channel: { id: string; name: string };
  friendType: FriendType;
}

export interface FriendGroup {
  id: string;
  kind: 'friend_group';
  name: string;
  population: Population;
  createdAt: string;
  updatedAt: string;
  channel: { id: string; name: string; searchId: string };
  friendType: FriendType;
  registeredCount: number;
  failedCount: number;
  duplicateCount: number;
  friendCount: number | null;
  friendCountLabel: string;
  upload: { id: string; fileName: string | null; encoding: string; bytes: number; counts: UploadCounts };
  usage: TargetUser[];
}

export interface ChannelUser {
  type: string;
  id: string;
  name: string;
}

/** Still being counted: poll until it settles. */
export function counting(g: { population: Population }): boolean {
  return g.population.state === 'preparing' || g.population.state === 'querying';
}
