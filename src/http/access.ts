/**
 * The one table of which role may do what. Every route names one permission; README.md
 * ("Roles") mirrors this table and a test keeps the two equal.
 */
import type { Role } from '../core/types';

const ALL: readonly Role[] = ['admin', 'data_engineer', 'governance', 'marketer'];

export const ACCESS = {
  'accounts.read': ALL,
  'accounts.manage': ['admin'],
  'namespaces.read': ALL,
  'namespaces.write': ['admin', 'data_engineer'],
  'schemas.read': ALL,
  'schemas.write': ['admin', 'data_engineer'],
  'labels.read': ALL,
  'labels.write': ['admin', 'governance'],
  'marketing-actions.read': ALL,
  'marketing-actions.write': ['admin', 'governance'],
  'policies.read': ALL,
  'policies.write': ['admin', 'governance'],
  'policies.evaluate': ALL,
  'audit.read': ['admin', 'governance'],
  'datasets.read': ALL,
  'datasets.write': ['admin', 'data_engineer'],
  'profiles.read': ALL,
  'connections.read': ['admin', 'data_engineer', 'governance'],
  'connections.write': ['admin', 'data_engineer'],
  'audiences.read': ALL,
  'audiences.write': ['admin', 'marketer'],
  'destinations.read': ALL,
  'destinations.write': ['admin', 'data_engineer', 'governance'],
  /** A destination's marketing actions (in POST/PATCH /v1/destinations bodies): checked by the service. */
  'destinations.govern': ['admin', 'governance'],
  'activations.read': ALL,
  'activations.write': ['admin', 'marketer'],
  'universe.read': ALL,
  'universe.write': ['admin', 'data_engineer'],
  'targets.read': ALL,
  'targets.write': ['admin', 'marketer'],
  'channels.read': ALL,
  'channels.write': ['admin', 'data_engineer', 'marketer'],
  'trackers.read': ALL,
  'trackers.write': ['admin', 'data_engineer', 'marketer'],
  'mat.read': ALL,
  'mat.write': ['admin', 'data_engineer', 'marketer'],
  'campaigns.read': ALL,
  'campaigns.write': ['admin', 'marketer'],
  'reactions.write': ['admin', 'data_engineer'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof ACCESS;

/** Every permission the role holds (the console disables what is not here). */
export function permissionsOf(role: Role): Permission[] {
  return (Object.keys(ACCESS) as Permission[]).filter((p) => roleMay(role, p));
}

export function roleMay(role: Role, permission: Permission): boolean {
  return (ACCESS[permission] as readonly Role[]).includes(role);
}
