import type { RouteSpec } from '../http/route';
import type { SchemaService } from './service';

export function schemaRoutes(_schemas: SchemaService): RouteSpec[] {
  return [];
}
