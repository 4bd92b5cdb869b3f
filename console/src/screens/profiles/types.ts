/** What the Profiles screens read (the DTOs of src/profiles/service.ts). */
export interface ProfileRow {
  namespace: { id: string; code: string; name: string };
  identity: string;
  datasets: string[];
  lastLoadedAt: string;
}

export interface Profile {
  namespace: { id: string; code: string; name: string; type: string };
  identity: string;
  attributes: Record<string, unknown>;
  sources: { datasetId: string; datasetName: string; batchId: string; loadedAt: string }[];
  attributeSources: Record<string, { datasetId: string; datasetName: string; batchId: string }>;
  audienceMemberships: { audienceId: string; name: string; status: string; evaluationId: string; evaluatedAt: string }[];
}

export interface Namespace {
  id: string;
  name: string;
  code: string;
  type: string;
}

export interface DatasetSummary {
  id: string;
  name: string;
  schemaId: string;
  classKind: 'prospect' | 'first_party';
  profileEnabled: boolean;
}

/** `/profiles/<namespace code>/<identity>` (both encoded: identities may hold any character). */
export const profilePath = (namespace: string, identity: string) => `/profiles/${encodeURIComponent(namespace)}/${encodeURIComponent(identity)}`;
