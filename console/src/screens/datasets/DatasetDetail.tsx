/**
 * One dataset: its facts and batches on the left; the right rail holds the Profile switch, Add data
 * (drag and drop or choose a file), the dataset's labels and its expiration — as in Adobe.
 */
import { Anchor, Card, Grid, Loader, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate, formatNumber } from '../../i18n';
import { ProblemAlert } from '../../ui/Problem';
import { AddData } from './AddData';
import { Batches } from './Batches';
import { useSchemas } from './DatasetList';
import { Expiration } from './Expiration';
import { ns } from './i18n';
import { DatasetLabels } from './Labels';
import { ProfileToggle } from './ProfileToggle';
import type { Dataset } from './types';

export function useDataset(id: string) {
  return useQuery({ queryKey: ['datasets', id], refetchOnMount: 'always', queryFn: () => unwrap<Dataset>(api.GET('/v1/datasets/{id}', { params: { path: { id } } })) });
}

export function DatasetDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation([ns, 'common']);
  const dataset = useDataset(id);
  const schemas = useSchemas();
  const d = dataset.data;
  if (dataset.error) return <ProblemAlert error={dataset.error} />;
  if (!d) return <Loader aria-label={t('common:loading')} />;
  const schema = schemas.data?.items.find((s) => s.id === d.schemaId);
  const facts: [string, string][] = [
    [t('schema'), schema?.title ?? d.schemaId],
    [t('primaryIdentity'), d.primaryIdentity.fieldPath],
    [t('records'), formatNumber(d.counts.records)],
    [t('currentRecords'), formatNumber(d.counts.currentRecords)],
    [t('batchesCount'), formatNumber(d.counts.batches)],
    [t('table'), d.table],
    [t('common:created'), formatDate(d.createdAt)],
    [t('common:updated'), formatDate(d.updatedAt)],
  ];
  return (
    <Stack>
      <Anchor component={Link} to="/datasets" size="sm">← {t('back')}</Anchor>
      <div>
        <Title order={2}>{d.name}</Title>
        {d.description ? <Text size="sm" c="dimmed">{d.description}</Text> : null}
      </div>
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 8 }}>
          <Stack>
            <Card withBorder>
              <SimpleGrid cols={{ base: 2, lg: 4 }} spacing="sm">
                {facts.map(([label, value]) => (
                  <div key={label}>
                    <Text size="xs" c="dimmed">{label}</Text>
                    <Text size="sm" fw={500} style={{ wordBreak: 'break-all' }} data-testid={`fact-${label}`}>{value}</Text>
                  </div>
                ))}
              </SimpleGrid>
            </Card>
            <Batches datasetId={d.id} />
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <Stack component="aside" aria-label={t('addData')}>
            <Card withBorder>
              <ProfileToggle dataset={d} />
            </Card>
            <Card withBorder>
              <AddData dataset={d} />
            </Card>
            <Card withBorder>
              <DatasetLabels dataset={d} />
            </Card>
            <Card withBorder>
              <Expiration dataset={d} />
            </Card>
          </Stack>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
