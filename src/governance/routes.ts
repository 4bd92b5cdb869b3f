import type { RouteSpec } from '../http/route';
import type { GovernanceService } from './service';

export function governanceRoutes(_governance: GovernanceService): RouteSpec[] {
  return [];
}
