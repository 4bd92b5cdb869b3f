/** src/audit/service.ts AuditEntry, and the filters of GET /v1/audit-log. */
import type { operations } from '../../api/schema';

export interface AuditEntry {
  id: string;
  actor: { keyId: string; role: string };
  action: 'create' | 'update' | 'delete';
  resourceType: string;
  resourceId: string;
  before?: unknown;
  after?: unknown;
  at: string;
}

export type AuditQuery = NonNullable<operations['getV1AuditLog']['parameters']['query']>;
export type ResourceType = NonNullable<AuditQuery['resourceType']>;

/** schemas/audit-log-query.json, in the order of the console's navigation. */
export const RESOURCE_TYPES: ResourceType[] = [
  'namespace', 'field_group', 'schema', 'identity_descriptor', 'label', 'field_labels', 'dataset_labels', 'marketing_action', 'policy',
  'dataset', 'dataset_expiration', 'batch', 'connection', 'dataflow',
  'target', 'talk_channel', 'tracker', 'tracker_right', 'mat_link_code', 'campaign', 'ad_group', 'message',
  'api_key', 'ad_account',
];

/** Where a resource is shown in the console, when it has a page. */
export function resourceLink(type: string, id: string): string | null {
  switch (type) {
    case 'schema':
      return `/schemas/${id}`;
    case 'field_labels':
      return `/schemas/${id}/labels`;
    case 'policy':
      return `/governance/policies/${id}`;
    case 'label':
      return '/governance/labels';
    case 'marketing_action':
      return '/governance/actions';
    case 'namespace':
      return '/identities';
    default:
      return null;
  }
}
