/**
 * Identity nodes of the first-party universe. A node is one normalised identifier written as
 * `<kind>:<value>` (`adid:7d0c…`, `phone:+821012345678`, `app_user_id:1234`), so one text column
 * can hold any identifier, one index answers every lookup and SQL sets of people stay simple.
 *
 * Which namespaces meet in the same kind: GAID and IDFA (and any namespace of type `device`) are
 * both advertising ids (`adid`), the way a customer file's ADID column matches either; `Phone` and
 * `Phone_E.164` both hold E.164. Partner ids and non-people ids have no kind: they never join the
 * graph.
 */
import type { NamespaceType } from '../namespaces/types';

export const NODE_KINDS = ['adid', 'phone', 'phone_sha256', 'email', 'email_sha256', 'app_user_id', 'cookie'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** At most this many identities join one person; Adobe's identity graph has the same cap. */
export const MAX_IDENTITIES_PER_PERSON = 50;

export function node(kind: NodeKind | `ns_${string}`, value: string): string {
  return `${kind}:${value}`;
}

/** The node kind of a namespace, or null when its identities never join the universe. */
export function nodeKindOf(ns: { code: string; type: NamespaceType }): string | null {
  switch (ns.code) {
    case 'Phone':
    case 'Phone_E.164':
      return 'phone';
    case 'Phone_SHA256_E.164':
      return 'phone_sha256';
    case 'Email':
      return 'email';
    case 'Email_LC_SHA256':
      return 'email_sha256';
    case 'AppUserId':
      return 'app_user_id';
  }
  switch (ns.type) {
    case 'device':
      return 'adid';
    case 'cookie':
      return 'cookie';
    case 'partner_id':
    case 'non_people':
      return null;
    default:
      // A custom email/phone/cross-device namespace keeps its own kind: its values were normalised
      // by its own rules and must not be mistaken for another namespace's.
      return `ns_${ns.code}`;
  }
}
