/** What the Audiences screens read, as src/audiences/service.ts and src/schemas/service.ts return it. */
export type AudienceStatus = 'draft' | 'published' | 'archived';

export interface Evaluation {
  id: string;
  audienceId: string;
  status: 'queued' | 'running' | 'success' | 'failed';
  trigger: 'manual' | 'schedule';
  rule: string;
  counts: { members: number | null; entered: number | null; exited: number | null };
  datasets: string[];
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Audience {
  id: string;
  name: string;
  description: string;
  status: AudienceStatus;
  rule: { text: string; json: unknown };
  fields: string[];
  labels: string[];
  schedule: { dailyAt: string } | null;
  nextEvaluationAt: string | null;
  size: number | null;
  lastEvaluation: Evaluation | null;
  createdAt: string;
  updatedAt: string;
}

export interface Estimate {
  size: number;
  rule: { text: string; json: unknown };
  datasets: string[];
  labels: string[];
  /** when asked for with sample: true */
  sample?: { namespaceId: string; identity: string }[];
}

export interface SchemaSummary {
  id: string;
  title: string;
  classId: string;
  kind: 'prospect' | 'first_party';
  profileEnabled: boolean;
}

export interface SchemaField {
  path: string;
  type: string;
  format?: string;
  xdmType: string;
  itemType?: string;
  enum?: string[];
  title?: string;
  description?: string;
  source: string;
  system: boolean;
  identity?: { namespace: string; namespaceId: string; namespaceType: string; primary: boolean };
}

export interface Namespace {
  id: string;
  name: string;
  code: string;
  type: string;
}
