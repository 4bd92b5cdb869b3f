/**
 * 연동코드 상세 (the code to link): name (✎), 고유코드 with copy, 등록일시, the postback URL per vendor,
 * the events received so far (live) and the MAT links on it; delete — refused while MAT links use it.
 */
import { Anchor, Group, List, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiProblem, unwrap } from '../../../api/client';
import { formatDate, formatNumber } from '../../../i18n';
import { ConfirmDelete } from '../../../ui/ConfirmDelete';
import { CopyField } from '../../../ui/CopyField';
import { EditableName } from '../../../ui/EditableName';
import { Facts } from '../../../ui/Facts';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { CODES_KEY, useLinkCode, useMatLinks, useReceived } from './api';
import { ns } from './i18n';
import { PostbackUrls } from './PostbackUrls';
import type { LinkCode } from './types';

export function LinkCodeDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const qc = useQueryClient();
  const code = useLinkCode(id);
  const received = useReceived(id);
  const links = useMatLinks();
  if (code.isPending) return <Loader aria-label={t('common:loading')} />;
  const c = code.data;
  const mine = (links.data?.items ?? []).filter((l) => l.linkCodeId === id);
  return (
    <Stack>
      <Anchor component={Link} to="/targets/mat" size="sm">← {t('codeDetail.back')}</Anchor>
      <ProblemAlert error={code.error} />
      {c && (
        <>
          <Group justify="space-between">
            <Title order={3}>{t('codeDetail.title')}</Title>
            <DeleteLinkCode code={c} />
          </Group>
          <Facts
            labelWidth={160}
            items={[
              [
                t('codeDetail.name'),
                <EditableName
                  value={c.name}
                  label={t('codeDetail.name')}
                  permission="mat.write"
                  maxLength={50}
                  onSave={async (name) => {
                    await unwrap(api.PATCH('/v1/mat/link-codes/{id}', { params: { path: { id } }, body: { name } }));
                    await qc.invalidateQueries({ queryKey: CODES_KEY });
                  }}
                />,
              ],
              [t('codeDetail.code'), <CopyField value={c.code} label={t('codeDetail.code')} data-testid="link-code" />],
              [t('codeDetail.createdAt'), formatDate(c.createdAt)],
            ]}
          />
          <Text size="xs">{t('codeDetail.codeHint')}</Text>
          <PostbackUrls code={c} />
          <div>
            <Title order={4}>{t('codeDetail.received')}</Title>
            <Text size="xs" c="dimmed">{t('codeDetail.receivedHint')}</Text>
          </div>
          <ProblemAlert error={received.error} />
          <Table withTableBorder aria-label={t('codeDetail.received')} data-testid="received">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('codeDetail.vendor')}</Table.Th>
                <Table.Th>{t('links.columns.event')}</Table.Th>
                <Table.Th>{t('codeDetail.count')}</Table.Th>
                <Table.Th>{t('codeDetail.firstCollected')}</Table.Th>
                <Table.Th>{t('codeDetail.lastCollected')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(received.data?.items ?? []).length === 0 ? (
                <Table.Tr><Table.Td colSpan={5}><Text size="sm">{t('codeDetail.noReceived')}</Text></Table.Td></Table.Tr>
              ) : (
                received.data!.items.map((r) => (
                  <Table.Tr key={`${r.vendor}:${r.event}`} data-received={`${r.vendor}:${r.event}`}>
                    <Table.Td>{t(`vendors.${r.vendor}`, { defaultValue: r.vendorName })}</Table.Td>
                    <Table.Td>{t(`events.${r.event}`)}</Table.Td>
                    <Table.Td data-testid={`received-${r.vendor}-${r.event}`}>{formatNumber(r.count)}</Table.Td>
                    <Table.Td>{formatDate(r.firstCollectedAt)}</Table.Td>
                    <Table.Td>{formatDate(r.lastCollectedAt)}</Table.Td>
                  </Table.Tr>
                ))
              )}
            </Table.Tbody>
          </Table>
          {mine.length > 0 && (
            <>
              <Title order={4}>{t('codeDetail.links')}</Title>
              <List size="sm" spacing={4}>
                {mine.map((l) => (
                  <List.Item key={l.id}>
                    <Group gap="xs">
                      <Anchor component={Link} to={`/targets/mat/${l.id}`} size="sm">{l.name}</Anchor>
                      <PopulationBadge population={l.population} />
                    </Group>
                  </List.Item>
                ))}
              </List>
            </>
          )}
        </>
      )}
    </Stack>
  );
}

function DeleteLinkCode({ code }: { code: LinkCode }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const navigate = useNavigate();
  return (
    <ConfirmDelete
      permission="mat.write"
      label={t('common:delete')}
      title={t('codeDetail.deleteTitle')}
      confirm={t('codeDetail.deleteConfirm', { name: code.name })}
      onDelete={() => unwrap(api.DELETE('/v1/mat/link-codes/{id}', { params: { path: { id: code.id } } }))}
      onDeleted={async () => {
        await qc.invalidateQueries({ queryKey: CODES_KEY });
        navigate('/targets/mat');
      }}
      refusal={(error) => {
        const raw = error instanceof ApiProblem ? error.body.usage : undefined;
        const users = Array.isArray(raw) ? (raw as { id: string; name: string }[]) : [];
        return users.length === 0 ? null : (
          <>
            <Text size="sm" fw={500}>{t('codeDetail.inUse')}</Text>
            <List size="sm" data-testid="code-users">
              {users.map((u) => <List.Item key={u.id}><Anchor component={Link} to={`/targets/mat/${u.id}`} size="sm">{u.name}</Anchor></List.Item>)}
            </List>
          </>
        );
      }}
    />
  );
}
