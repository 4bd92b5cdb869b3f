// STUB — to be implemented (see the helper brief). Signatures are fixed.
import type { AuditService } from '../audit/service';
import type { Db, Tx } from '../core/db';
import type { Caller } from '../core/types';

export type NamespaceType = 'cookie' | 'cross_device' | 'device' | 'email' | 'phone' | 'non_people' | 'partner_id';

export interface Namespace {
  id: string;
  name: string;
  code: string;
  type: NamespaceType;
  description: string;
  standard: boolean;
  createdAt: string;
  updatedAt: string;
}

export class NamespaceService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
  ) {}
  async seedStandard(_tx: Tx, _adAccountId: string): Promise<void> {}
  async get(_caller: Caller, _idOrCode: string): Promise<Namespace> {
    throw new Error('not implemented');
  }
}
