// STUB — to be implemented (see the helper brief). Signatures are fixed.
import type { AuditService } from '../audit/service';
import type { Db, Tx } from '../core/db';
import type { SchemaService } from '../schemas/service';

export class GovernanceService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly schemas: SchemaService,
  ) {}
  async seedCore(_tx: Tx, _adAccountId: string): Promise<void> {}
}
