import type { RouteSpec } from '../http/route';
import type { NamespaceService } from './service';

export function namespaceRoutes(_namespaces: NamespaceService): RouteSpec[] {
  return [];
}
