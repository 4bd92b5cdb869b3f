/** What the Activations screens read, as src/activation/types.ts declares it. */
export interface ActivationSchedule {
  type: 'once' | 'daily' | 'after_evaluation';
  at?: string;
}

export interface Activation {
  id: string;
  name: string;
  destinationId: string;
  audienceIds: string[];
  targetIds: string[];
  schedule: ActivationSchedule;
  mapping: { identity: { namespace: string; column: string }; attributes?: { field: string; column: string }[] };
  mandatoryFields: string[];
  dedup: { fields: string[] } | null;
  enabled: boolean;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface LineageEntry {
  label: string;
  impliedBy?: string;
  dataset: { id: string; name: string } | null;
  field: string | null;
  audience: { id: string; name: string } | null;
  target: { id: string; name: string; kind: string } | null;
  source: { type: string; id: string; description: string } | null;
  identity: { namespace: string; label: string } | null;
  activation: { id: string | null; name: string };
  destination: { id: string; name: string };
  path: string;
}

export type DenyExpression = { label: string } | { operator: 'AND' | 'OR'; operands: DenyExpression[] };

export interface Violation {
  policy: { id: string; name: string; coreKey: string | null };
  matched: DenyExpression;
  marketingActions: string[];
  labels: string[];
  lineage: LineageEntry[];
}

export interface Verdict {
  allowed: boolean;
  marketingActions: string[];
  labels: string[];
  violations: Violation[];
}

export interface RunCounts {
  received: number;
  activated: number;
  excludedMandatory: number;
  excludedDuplicates: number;
  failed: number;
}

export interface PublishedFile {
  name: string;
  /** object key (S3) or remote path (SFTP) */
  path: string;
  rows: number;
  bytes: number;
}

export interface ActivationRun {
  id: string;
  activationId: string;
  status: 'queued' | 'processing' | 'success' | 'failed';
  trigger: string;
  counts: RunCounts;
  files: PublishedFile[];
  violation: Verdict | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface DryRun {
  verdict: Verdict;
  counts: RunCounts;
  files: string[];
}
