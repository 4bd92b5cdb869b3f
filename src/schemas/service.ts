// STUB — to be implemented (see the helper brief). Signatures are fixed.
import type { AuditService } from '../audit/service';
import type { Db } from '../core/db';
import type { Caller } from '../core/types';
import type { NamespaceService } from '../namespaces/service';

/** One leaf field of a composed schema. */
export interface SchemaField {
  /** Dot path, e.g. `person.name.firstName`. */
  path: string;
  /** JSON Schema type of the leaf: string, number, integer, boolean, array. */
  type: string;
  format?: string;
  xdmType: string;
  /** For arrays: the item type. */
  itemType?: string;
  /** Class or field group that contributed the field. */
  source: string;
}

export class SchemaService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly namespaces: NamespaceService,
  ) {}
  async leafFields(_caller: Caller, _schemaId: string): Promise<SchemaField[]> {
    throw new Error('not implemented');
  }
}
