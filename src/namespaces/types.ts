/** Shared types of the namespaces module (identity.ts and service.ts both use them). */

export type NamespaceType = 'cookie' | 'cross_device' | 'device' | 'email' | 'phone' | 'non_people' | 'partner_id';

export const NAMESPACE_TYPES: readonly NamespaceType[] = ['cookie', 'cross_device', 'device', 'email', 'phone', 'non_people', 'partner_id'];

export interface Namespace {
  id: string;
  name: string;
  code: string;
  type: NamespaceType;
  description: string;
  standard: boolean;
  /** False for Partner ID and non-people namespaces: they never join an identity graph. */
  stitchable: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NamespaceCreate {
  name: string;
  code: string;
  type: NamespaceType;
  description?: string;
}

/** `code` and `type` are accepted only to answer "immutable" when they differ. */
export interface NamespaceUpdate {
  name?: string;
  description?: string;
  code?: string;
  type?: NamespaceType;
}

export interface NamespaceListQuery {
  type?: NamespaceType;
  standard?: boolean;
}

export interface NormalizedValue {
  input: string;
  value?: string;
  error?: { rule: string; message: string };
  /** True when an earlier value of the same request normalised to the same identity. */
  duplicate?: boolean;
}

export interface NormalizeReport {
  namespace: { id: string; code: string; type: NamespaceType };
  counts: { received: number; valid: number; invalid: number; duplicate: number };
  items: NormalizedValue[];
}
