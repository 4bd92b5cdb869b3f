/** src/activation/types.ts Destination and the connection test's answer (connectors/types.ts). */
export type DestinationKind = 's3' | 'liveramp';

export interface Destination {
  id: string;
  name: string;
  kind: DestinationKind;
  settings: Record<string, unknown>;
  credentialsSet: string[];
  marketingActions: string[];
  /** Identity namespace types an activation to it may map. */
  acceptsIdentities: string[];
  createdAt: string;
  updatedAt: string;
}

export type ConnectionTest = { ok: true; detail: string } | { ok: false; reason: string; message: string };

export function locationOf(d: Destination): string {
  const s = d.settings;
  return d.kind === 's3' ? `s3://${String(s.bucket ?? '')}/${String(s.prefix ?? '')}` : `sftp://${String(s.host ?? '')}${s.port ? `:${String(s.port)}` : ''}/${String(s.folder ?? 'uploads')}`;
}
