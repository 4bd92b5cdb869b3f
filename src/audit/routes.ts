import { route, RouteSpec } from '../http/route';
import type { AuditService } from './service';

export function auditRoutes(audit: AuditService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/audit-log',
      permission: 'audit.read',
      tag: 'audit',
      summary: 'List audit entries of the ad account, newest first, filtered by resource, action, actor or time',
      query: 'audit-log-query',
      handler: async ({ caller, query }) => audit.list(caller, query),
    }),
  ];
}
