/**
 * Data usage governance: labels (core catalog in code + custom labels), label assignments on schema
 * fields and datasets, marketing actions (core in code + custom), policies, and evaluation of a use
 * of data against the enabled policies (the engine in engine.ts does the matching).
 *
 * Custom labels and marketing actions referenced by a write are locked `for share` in the writing
 * transaction, and deletes lock `for update` before checking usage, so nothing ends up referencing
 * a deleted label or action.
 */
import type { AuditService } from '../audit/service';
import type { Db, Queryable, Tx } from '../core/db';
import type { Caller, Page } from '../core/types';
import type { SchemaService } from '../schemas/service';
import * as assignments from './assignments';
import * as labels from './custom-labels';
import type { DenyExpression, PolicyStatus } from './engine';
import * as evaluation from './evaluate';
import * as actions from './marketing-actions';
import * as policies from './policies';
import type {
  Evaluation,
  EvaluationRequest,
  GovernanceContext,
  Label,
  LabelGathering,
  LabelSource,
  MarketingAction,
  Policy,
  SchemaFieldLabels,
} from './types';

export type {
  Evaluation,
  EvaluationRequest,
  FieldLabels,
  FieldRef,
  Label,
  LabelGathering,
  LabelSource,
  MarketingAction,
  Policy,
  SchemaFieldLabels,
  Violation,
  ViolationSource,
} from './types';
export { compareLabels } from './labels';
export { resolveFieldPaths } from './assignments';

/**
 * The module's public entry. Each part lives beside it: custom-labels.ts, assignments.ts (field and
 * dataset labels), marketing-actions.ts, policies.ts, evaluate.ts (with lineage).
 */
export class GovernanceService {
  private readonly ctx: GovernanceContext;

  constructor(db: Db, audit: AuditService, schemas: SchemaService) {
    this.ctx = { db, audit, schemas };
  }

  /** The datasets module says which dataset ids exist for a caller (it depends on us, not the reverse). */
  useDatasetCheck(check: (caller: Caller, datasetId: string) => Promise<unknown>): void {
    this.ctx.datasetCheck = check;
  }

  seedCore(tx: Tx, adAccountId: string): Promise<void> {
    return policies.seedCore(tx, adAccountId);
  }

  // ---- labels (custom-labels.ts) -----------------------------------------------------------------

  listLabels(caller: Caller, filter: { category?: string; core?: boolean } = {}): Promise<Label[]> {
    return labels.listLabels(this.ctx, caller, filter);
  }

  getLabel(caller: Caller, code: string): Promise<Label> {
    return labels.getLabel(this.ctx, caller, code);
  }

  createLabel(caller: Caller, input: { code: string; category?: string; friendlyName: string; description?: string }): Promise<Label> {
    return labels.createLabel(this.ctx, caller, input);
  }

  updateLabel(caller: Caller, code: string, patch: { category?: string; friendlyName?: string; description?: string }): Promise<Label> {
    return labels.updateLabel(this.ctx, caller, code, patch);
  }

  deleteLabel(caller: Caller, code: string): Promise<void> {
    return labels.deleteLabel(this.ctx, caller, code);
  }

  labelUsage(q: Queryable, caller: Caller, code: string): Promise<{ fields: { schemaId: string; path: string }[]; datasets: string[]; policies: { id: string; name: string }[] }> {
    return labels.labelUsage(q, caller, code);
  }

  // ---- field labels (assignments.ts) -------------------------------------------------------------

  fieldLabels(caller: Caller, schemaId: string): Promise<SchemaFieldLabels> {
    return assignments.fieldLabels(this.ctx, caller, schemaId);
  }

  addFieldLabels(caller: Caller, schemaId: string, input: { labels: string[]; fields: string[] | '*' }): Promise<SchemaFieldLabels> {
    return assignments.addFieldLabels(this.ctx, caller, schemaId, input);
  }

  removeFieldLabels(caller: Caller, schemaId: string, input: { labels: string[]; fields: string[] | '*' }): Promise<SchemaFieldLabels> {
    return assignments.removeFieldLabels(this.ctx, caller, schemaId, input);
  }

  forgetSchemaLabels(q: Queryable, caller: Caller, schemaId: string): Promise<void> {
    return assignments.forgetSchemaLabels(q, caller, schemaId);
  }

  // ---- dataset labels (for the datasets module; it checks the dataset belongs to the caller) ------

  labelsOfDataset(caller: Caller, datasetId: string, q: Queryable = this.ctx.db): Promise<string[]> {
    return assignments.labelsOfDataset(this.ctx, caller, datasetId, q);
  }

  labelsOfDatasets(caller: Caller, datasetIds: readonly string[], q: Queryable = this.ctx.db): Promise<Map<string, string[]>> {
    return assignments.labelsOfDatasets(this.ctx, caller, datasetIds, q);
  }

  setDatasetLabels(caller: Caller, datasetId: string, labels: string[], q: Queryable = this.ctx.db): Promise<string[]> {
    return assignments.setDatasetLabels(this.ctx, caller, datasetId, labels, q);
  }

  forgetDatasetLabels(q: Queryable, caller: Caller, datasetId: string): Promise<void> {
    return assignments.forgetDatasetLabels(q, caller, datasetId);
  }

  // ---- marketing actions (marketing-actions.ts) --------------------------------------------------

  listMarketingActions(caller: Caller): Promise<MarketingAction[]> {
    return actions.listMarketingActions(this.ctx, caller);
  }

  getMarketingAction(caller: Caller, name: string): Promise<MarketingAction> {
    return actions.getMarketingAction(this.ctx, caller, name);
  }

  createMarketingAction(caller: Caller, input: { name: string; description?: string }): Promise<MarketingAction> {
    return actions.createMarketingAction(this.ctx, caller, input);
  }

  updateMarketingAction(caller: Caller, name: string, patch: { description?: string }): Promise<MarketingAction> {
    return actions.updateMarketingAction(this.ctx, caller, name, patch);
  }

  deleteMarketingAction(caller: Caller, name: string): Promise<void> {
    return actions.deleteMarketingAction(this.ctx, caller, name);
  }

  // ---- policies (policies.ts) --------------------------------------------------------------------

  listPolicies(
    caller: Caller,
    query: { status?: PolicyStatus; marketingAction?: string; label?: string; core?: boolean; limit?: number; cursor?: string } = {},
  ): Promise<Page<Policy>> {
    return policies.listPolicies(this.ctx, caller, query);
  }

  getPolicy(caller: Caller, id: string): Promise<Policy> {
    return policies.getPolicy(this.ctx, caller, id);
  }

  createPolicy(caller: Caller, input: { name: string; description?: string; status?: PolicyStatus; marketingActions: string[]; deny: DenyExpression }): Promise<Policy> {
    return policies.createPolicy(this.ctx, caller, input);
  }

  updatePolicy(
    caller: Caller,
    id: string,
    patch: { name?: string; description?: string; status?: PolicyStatus; marketingActions?: string[]; deny?: DenyExpression },
  ): Promise<Policy> {
    return policies.updatePolicy(this.ctx, caller, id, patch);
  }

  deletePolicy(caller: Caller, id: string): Promise<void> {
    return policies.deletePolicy(this.ctx, caller, id);
  }

  // ---- evaluation (evaluate.ts) ------------------------------------------------------------------

  gatherLabels(caller: Caller, input: LabelGathering): Promise<Map<string, LabelSource[]>> {
    return evaluation.gatherLabels(this.ctx, caller, input);
  }

  evaluate(caller: Caller, input: EvaluationRequest): Promise<Evaluation> {
    return evaluation.evaluate(this.ctx, caller, input);
  }
}
