/**
 * First-party targets in activations (pure helpers): which universe identities a mapping's
 * namespace exports, the identity label they carry, and how a target's source reads in lineage.
 *
 * Identity labels (Adobe's I1/I2): phone numbers, emails and app user ids — and their SHA-256
 * hashes, which still single out one person — are directly identifiable (I1); advertising ids and
 * cookies are pseudonymous (I2). Hashed namespaces are computed at export from the plain values
 * in SQL, plus any hashed identities first-party sources sent as such.
 */
import type { NamespaceType } from '../namespaces/service';
import type { TargetKind, TargetRow } from '../targets/service';
import { KIND_NAMES } from '../targets/service';
import { nodeKindOf } from '../universe/nodes';

/** What the export of a first-party target yields for the mapped identity namespace. */
export interface FirstPartyIdentity {
  /** Mapped namespace code. */
  namespace: string;
  /** Universe node kind the plain values come from. */
  kind: 'adid' | 'phone' | 'email' | 'app_user_id' | 'cookie';
  /** SHA-256 hex of the plain value (emails lowercased first). */
  hash: 'none' | 'sha256' | 'sha256_lowercase';
  /** Node kind of identities that sources already sent hashed (exported as they are). */
  hashedKind: 'phone_sha256' | 'email_sha256' | null;
  label: 'I1' | 'I2';
}

export const FIRST_PARTY_NAMESPACES = 'GAID, IDFA (or another device namespace), Phone, Phone_E.164, Phone_SHA256_E.164, Email, Email_LC_SHA256, AppUserId or a cookie namespace';

/** The identity a namespace exports for first-party targets, or why it cannot. */
export function firstPartyIdentity(ns: { code: string; type: NamespaceType }): FirstPartyIdentity | { refused: string; rule: string } {
  const base = { namespace: ns.code, hash: 'none' as const, hashedKind: null };
  switch (nodeKindOf(ns)) {
    case 'adid':
      return { ...base, kind: 'adid', label: 'I2' };
    case 'cookie':
      return { ...base, kind: 'cookie', label: 'I2' };
    case 'phone':
      return { ...base, kind: 'phone', label: 'I1' };
    case 'phone_sha256':
      return { ...base, kind: 'phone', hash: 'sha256', hashedKind: 'phone_sha256', label: 'I1' };
    case 'email':
      return { ...base, kind: 'email', label: 'I1' };
    case 'email_sha256':
      return { ...base, kind: 'email', hash: 'sha256_lowercase', hashedKind: 'email_sha256', label: 'I1' };
    case 'app_user_id':
      return { ...base, kind: 'app_user_id', label: 'I1' };
    case null:
      return {
        rule: 'first-party-identity',
        refused: `Namespace ${ns.code} is a ${ns.type === 'partner_id' ? 'partner id' : 'non-people id'}: first-party people have no ${ns.type === 'partner_id' ? 'partner ids' : 'such ids'}, so targets cannot be exported with it; map ${FIRST_PARTY_NAMESPACES}`,
      };
    default:
      return {
        rule: 'first-party-identity',
        refused: `Namespace ${ns.code} is a custom namespace whose identities the universe keeps apart; first-party targets export ${FIRST_PARTY_NAMESPACES}`,
      };
  }
}

/** Value expression of the exported identity over a column holding the plain value. */
export function exportedValueSql(identity: FirstPartyIdentity, column: string): string {
  if (identity.hash === 'none') return column;
  const plain = identity.hash === 'sha256_lowercase' ? `lower(${column})` : column;
  return `encode(sha256(convert_to(${plain}, 'UTF8')), 'hex')`;
}

/** Where a target's people come from, as lineage shows it. */
export interface TargetSource {
  type: 'upload' | 'tracker' | 'mat_link_code' | 'ad_reactions' | 'seed';
  id: string | null;
  /** e.g. `customer file upload "upl_…"` */
  description: string;
}

export function targetSource(row: Pick<TargetRow, 'kind' | 'settings'>): TargetSource | null {
  const s = row.settings ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  switch (row.kind) {
    case 'customer_file':
      return { type: 'upload', id: str(s.uploadId), description: `customer file upload "${str(s.uploadId) ?? '?'}"` };
    case 'friend_group':
      return { type: 'upload', id: str(s.uploadId), description: `friend group upload "${str(s.uploadId) ?? '?'}"${str(s.channelId) ? ` of talk channel "${s.channelId}"` : ''}` };
    case 'pixel':
      return { type: 'tracker', id: str(s.trackId), description: `pixel & SDK tracker "${str(s.trackId) ?? '?'}"` };
    case 'mat':
      return { type: 'mat_link_code', id: str(s.linkCodeId), description: `MAT link code "${str(s.linkCodeId) ?? '?'}"` };
    case 'ad_response': {
      const sources = Array.isArray(s.sources) ? (s.sources as { id?: string }[]).map((x) => x.id).filter(Boolean) : [];
      return { type: 'ad_reactions', id: null, description: `ad reactions on ${sources.length ? sources.map((x) => `"${x}"`).join(', ') : 'its sources'}` };
    }
    case 'lookalike': {
      const seed = (s.seed ?? {}) as { kind?: unknown; id?: unknown };
      const id = str(seed.id);
      const kind = str(seed.kind)?.replace(/_/g, ' ');
      return { type: 'seed', id, description: id ? `lookalike seed ${kind ?? ''} "${id}"`.replace('  ', ' ') : 'lookalike seed' };
    }
    default:
      return null;
  }
}

/**
 * Target kinds whose people are chosen from first-party dataset attributes (lookalikes score the
 * universe on profile attributes), so those datasets' labels travel with the export. The other
 * kinds pick people by identifiers alone (uploads, events, reactions).
 */
export const DRAWS_ON_DATASETS: ReadonlySet<TargetKind> = new Set<TargetKind>(['lookalike']);

export function targetKindName(kind: TargetKind): string {
  return KIND_NAMES[kind]?.en ?? kind;
}
