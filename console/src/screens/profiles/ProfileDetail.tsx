/** One prospect profile: its attributes with the dataset and batch each came from, the contributing batches, and its audiences. */
import { Anchor, Badge, Card, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate, formatNumber } from '../../i18n';
import { ProblemAlert } from '../../ui/Problem';
import { StatusBadge } from '../../ui/StatusBadge';
import { ns } from './i18n';
import type { DatasetSummary, Profile } from './types';

/** `{a: {b: 1}}` → `[['a.b', 1]]`; arrays stay one value. */
function flatten(o: Record<string, unknown>, prefix = ''): [string, unknown][] {
  return Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? flatten(v as Record<string, unknown>, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]]));
}

interface Field {
  path: string;
  xdmType: string;
  system: boolean;
}

function show(v: unknown, field: Field | undefined): string {
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  if (field?.xdmType === 'date-time' && typeof v === 'string') return formatDate(v);
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

/** The schema fields behind the profile (of the dataset its first source belongs to): types and the system flag. */
function useProfileFields(profile: Profile | undefined): Map<string, Field> {
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: () => unwrap<{ items: DatasetSummary[] }>(api.GET('/v1/datasets', { params: { query: { limit: 500 } } })) });
  const schemaId = datasets.data?.items.find((d) => d.id === profile?.sources[0]?.datasetId)?.schemaId;
  const fields = useQuery({
    queryKey: ['schemas', schemaId, 'fields'],
    enabled: !!schemaId,
    queryFn: () => unwrap<{ items: Field[] }>(api.GET('/v1/schemas/{id}/fields', { params: { path: { id: schemaId ?? '' } } })),
  });
  return new Map((fields.data?.items ?? []).map((f) => [f.path, f]));
}

export function ProfileDetail() {
  const { namespace = '', identity = '' } = useParams();
  const { t } = useTranslation([ns, 'common']);
  const profile = useQuery({
    queryKey: ['profiles', namespace, identity],
    queryFn: () => unwrap<Profile>(api.GET('/v1/profiles/{namespace}/{identity}', { params: { path: { namespace, identity } } })),
    retry: false,
  });
  const p = profile.data;
  const fields = useProfileFields(p);
  // Partner attributes first, the platform's bookkeeping (system fields) after them.
  const attributes = p ? flatten(p.attributes).sort(([a], [b]) => Number(fields.get(a)?.system ?? false) - Number(fields.get(b)?.system ?? false)) : [];
  return (
    <Stack>
      <Anchor component={Link} to="/profiles" size="sm">← {t('back')}</Anchor>
      <ProblemAlert error={profile.error} />
      {profile.isPending ? <Loader aria-label={t('common:loading')} /> : null}
      {p ? (
        <>
          <Group gap="sm">
            <Title order={2}><code>{p.identity}</code></Title>
            <Badge variant="filled" tt="none" size="lg">{t('namespace')}: {p.namespace.name} ({p.namespace.code})</Badge>
          </Group>
          <Card withBorder>
            <Title order={3} size="h4" mb="xs">{t('attributes')}</Title>
            <Table withTableBorder striped aria-label={t('attributes')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('attribute')}</Table.Th>
                  <Table.Th>{t('value')}</Table.Th>
                  <Table.Th>{t('dataset')}</Table.Th>
                  <Table.Th>{t('batch')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {attributes.map(([path, value]) => {
                  const from = p.attributeSources?.[path];
                  const field = fields.get(path);
                  return (
                    <Table.Tr key={path}>
                      <Table.Td>
                        <Group gap={6} wrap="nowrap">
                          <code>{path}</code>
                          {field?.system ? <Badge variant="default" size="xs" tt="none">{t('system')}</Badge> : null}
                        </Group>
                      </Table.Td>
                      <Table.Td data-testid={`attr-${path}`}>{show(value, field)}</Table.Td>
                      <Table.Td>{from ? <Anchor component={Link} to={`/datasets/${from.datasetId}`} size="sm">{from.datasetName}</Anchor> : '—'}</Table.Td>
                      <Table.Td>{from ? <code>{from.batchId}</code> : '—'}</Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Card>
          <Card withBorder>
            <Title order={3} size="h4" mb="xs">{t('sources')}</Title>
            <Table withTableBorder aria-label={t('sources')}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('dataset')}</Table.Th>
                  <Table.Th>{t('batch')}</Table.Th>
                  <Table.Th>{t('loadedAt')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {p.sources.map((s) => (
                  <Table.Tr key={`${s.datasetId}:${s.batchId}`}>
                    <Table.Td><Anchor component={Link} to={`/datasets/${s.datasetId}`} size="sm">{s.datasetName}</Anchor></Table.Td>
                    <Table.Td><code>{s.batchId}</code></Table.Td>
                    <Table.Td>{formatDate(s.loadedAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
          <Card withBorder>
            <Title order={3} size="h4" mb="xs">{t('memberships')}</Title>
            {p.audienceMemberships.length === 0 ? (
              <Text size="sm">{t('noMemberships')}</Text>
            ) : (
              <Table withTableBorder aria-label={t('memberships')}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('audience')}</Table.Th>
                    <Table.Th>{t('common:status')}</Table.Th>
                    <Table.Th>{t('evaluatedAt')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {p.audienceMemberships.map((m) => (
                    <Table.Tr key={m.audienceId}>
                      <Table.Td><Anchor component={Link} to={`/audiences/${m.audienceId}`} size="sm">{m.name}</Anchor></Table.Td>
                      <Table.Td><StatusBadge tone="success">{t(m.status, { defaultValue: m.status })}</StatusBadge></Table.Td>
                      <Table.Td>{formatDate(m.evaluatedAt)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Card>
        </>
      ) : null}
    </Stack>
  );
}
