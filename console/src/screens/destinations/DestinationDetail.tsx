/** One destination: settings (never credentials), marketing actions, Test connection, file names, and the activations using it. */
import { Anchor, Badge, Code, Group, List, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate, formatNumber } from '../../i18n';
import { Facts } from '../../ui/Facts';
import { DEFAULT_TEMPLATE, FileNamePreview, TemplateParts } from '../../ui/FileNameTemplate';
import { GuardedButton } from '../../ui/Guarded';
import { useMarketingActionText } from '../../ui/marketing-actions';
import { ProblemAlert } from '../../ui/Problem';
import { TestResult } from './CreateDestination';
import { ns } from './i18n';
import { ConnectionTest, Destination, locationOf } from './types';

const S3_ORDER = ['bucket', 'prefix', 'region', 'endpoint', 'format', 'delimiter', 'quote', 'nullOutput', 'compression', 'customText', 'partRows'];
const LIVERAMP_ORDER = ['host', 'port', 'username', 'folder', 'hostKeyFingerprint', 'org', 'destinationName', 'instanceId'];

function settingText(key: string, v: unknown): React.ReactNode {
  if (key === 'partRows' || key === 'port') return formatNumber(Number(v));
  if (key === 'delimiter' && v === '\t') return 'Tab';
  return v === '' || v === null || v === undefined ? '—' : <code>{String(v)}</code>;
}

export function defaultTemplate(d: Destination): string {
  return typeof d.settings.fileNameTemplate === 'string' ? d.settings.fileNameTemplate : d.settings.format === 'jsonl' ? DEFAULT_TEMPLATE.replace('.csv', '.jsonl') : DEFAULT_TEMPLATE;
}

export function DestinationDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const action = useMarketingActionText();
  const dest = useQuery({ queryKey: ['destinations', id], queryFn: () => unwrap<Destination>(api.GET('/v1/destinations/{id}', { params: { path: { id } } })) });
  const users = useQuery({
    queryKey: ['activations'],
    queryFn: () => unwrap<{ items: { id: string; name: string; destinationId: string }[] }>(api.GET('/v1/activations')),
    select: (d) => d.items.filter((a) => a.destinationId === id),
  });
  const test = useMutation({ mutationFn: () => unwrap<ConnectionTest>(api.POST('/v1/destinations/{id}/test', { params: { path: { id } } })) });
  if (dest.error) return <ProblemAlert error={dest.error} />;
  const d = dest.data;
  if (!d) return <Text size="sm">{t('common:loading')}</Text>;
  const order = d.kind === 's3' ? S3_ORDER : LIVERAMP_ORDER;
  const settings = order.filter((k) => k in d.settings).map((k): [string, unknown] => [k, d.settings[k]]);
  return (
    <Stack>
      <Anchor component={Link} to="/destinations" size="sm">← {t('detail.back')}</Anchor>
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={2}>{d.name}</Title>
          <Badge variant="light" tt="none">{t(`kinds.${d.kind}`)}</Badge>
        </Group>
        <Group>
          <GuardedButton permission="destinations.write" variant="default" onClick={() => test.mutate()} loading={test.isPending}>{t('test.run')}</GuardedButton>
          <GuardedButton permission="activations.write" onClick={() => navigate(`/activations/new?destination=${d.id}`)}>{t('detail.activate')}</GuardedButton>
        </Group>
      </Group>
      {test.data && <TestResult result={test.data} />}
      <ProblemAlert error={test.error} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Paper withBorder p="md" radius="md">
          <Text fw={600} mb="xs">{t('detail.settings')}</Text>
          <Facts
            labelWidth={190}
            items={[
              [t('location'), <Code key="l">{locationOf(d)}</Code>],
              ...settings.map(([k, v]): [string, React.ReactNode] => [t(`fields.${k}`, { defaultValue: k }), settingText(k, v)]),
              [t('detail.credentialsSet'), d.credentialsSet.join(', ') || '—'],
              [t('marketingActions'), <Group key="m" gap={4}>{d.marketingActions.map((m) => <Badge key={m} variant="outline" tt="none">{action.name({ name: m, displayName: m, description: '', core: true })}</Badge>)}</Group>],
              [t('common:created'), formatDate(d.createdAt)],
            ]}
          />
        </Paper>
        <Stack>
          {d.kind === 's3' && (
            <Paper withBorder p="md" radius="md">
              <Text fw={600} mb="xs">{t('detail.fileName')}</Text>
              <TemplateParts template={defaultTemplate(d)} />
              <FileNamePreview template={defaultTemplate(d)} gzip={d.settings.compression === 'gzip'} tokens={{ destination: d.name, audienceId: 'aud_0123456789', audienceName: 'audience', destinationInstance: d.id, customText: String(d.settings.customText ?? ''), at: new Date() }} />
            </Paper>
          )}
          <Paper withBorder p="md" radius="md">
            <Text fw={600} mb="xs">{t('detail.usedBy')}</Text>
            {users.data?.length ? (
              <List size="sm">
                {users.data.map((a) => (
                  <List.Item key={a.id}>
                    <Anchor component={Link} to={`/activations/${a.id}`}>{a.name}</Anchor>
                  </List.Item>
                ))}
              </List>
            ) : (
              <Text size="sm" c="dimmed">{t('detail.notUsed')}</Text>
            )}
          </Paper>
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}
