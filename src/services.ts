/**
 * Composition root: builds each domain module's one public service and collects their routes.
 * Modules talk to each other only through these services.
 */
import { accountRoutes } from './accounts/routes';
import { AccountService } from './accounts/service';
import { auditRoutes } from './audit/routes';
import { AuditService } from './audit/service';
import type { Db } from './core/db';
import type { JobQueue } from './core/jobs';
import type { Logger } from './core/log';
import { governanceRoutes } from './governance/routes';
import { GovernanceService } from './governance/service';
import type { RouteSpec } from './http/route';
import { namespaceRoutes } from './namespaces/routes';
import { NamespaceService } from './namespaces/service';
import { schemaRoutes } from './schemas/routes';
import { SchemaService } from './schemas/service';

export interface Services {
  db: Db;
  jobs: JobQueue;
  log: Logger;
  audit: AuditService;
  accounts: AccountService;
  namespaces: NamespaceService;
  schemas: SchemaService;
  governance: GovernanceService;
}

export function createServices(db: Db, jobs: JobQueue, log: Logger): Services {
  const audit = new AuditService(db);
  const namespaces = new NamespaceService(db, audit);
  const schemas = new SchemaService(db, audit, namespaces);
  const governance = new GovernanceService(db, audit, schemas);
  // A deleted schema takes its field labels with it, in the same transaction.
  schemas.onDelete((tx, caller, schemaId) => governance.forgetSchemaLabels(tx, caller, schemaId));
  const accounts = new AccountService(db, audit, [
    (tx, id) => namespaces.seedStandard(tx, id),
    (tx, id) => governance.seedCore(tx, id),
  ]);
  return { db, jobs, log, audit, accounts, namespaces, schemas, governance };
}

export function allRoutes(s: Services): RouteSpec[] {
  return [
    ...accountRoutes(s.accounts),
    ...namespaceRoutes(s.namespaces),
    ...schemaRoutes(s.schemas),
    ...governanceRoutes(s.governance),
    ...auditRoutes(s.audit),
  ];
}

/** Registers every background job handler on the queue (workers call jobs.start() afterwards). */
export function defineJobs(_s: Services): void {
  // Later modules (ingestion, dataset expiry, audiences, activations, populations) register here.
}
