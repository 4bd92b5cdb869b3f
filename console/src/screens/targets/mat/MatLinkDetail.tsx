/**
 * MAT 연동 상세: name (✎), 연동코드, 업체, 이벤트, 수집유형, 등록일시 (first collected), 타겟 모수 with its
 * state and 다시 조회, 타겟 사용 현황; delete (refused while used, with the list).
 */
import { Anchor, Group, Loader, Stack, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate } from '../../../i18n';
import { EditableName } from '../../../ui/EditableName';
import { Facts } from '../../../ui/Facts';
import { GuardedButton } from '../../../ui/Guarded';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { DeleteTargetButton, TargetUsageTable, TargetUser } from '../../../ui/TargetUsage';
import { LINKS_KEY, useMatLink } from './api';
import { ns } from './i18n';

export function MatLinkDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const link = useMatLink(id);
  const usage = useQuery({ queryKey: ['targets', 'usage', id], queryFn: () => unwrap<{ items: TargetUser[] }>(api.GET('/v1/targets/{id}/usage', { params: { path: { id } } })) });
  const refresh = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/targets/{id}/refresh', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: LINKS_KEY }),
  });
  if (link.isPending) return <Loader aria-label={t('common:loading')} />;
  const l = link.data;
  return (
    <Stack>
      <Anchor component={Link} to="/targets/mat" size="sm">← {t('linkDetail.back')}</Anchor>
      <ProblemAlert error={link.error} />
      {l && (
        <>
          <Group justify="space-between">
            <Title order={3}>{t('linkDetail.title')}</Title>
            <DeleteTargetButton
              name={l.name}
              onDelete={() => unwrap(api.DELETE('/v1/targets/mat/{id}', { params: { path: { id } } }))}
              onDeleted={() => {
                void qc.invalidateQueries({ queryKey: ['targets'] });
                navigate('/targets/mat');
              }}
            />
          </Group>
          <Facts
            labelWidth={160}
            items={[
              [
                t('links.columns.name'),
                <EditableName
                  value={l.name}
                  label={t('linkForm.name')}
                  permission="targets.write"
                  maxLength={50}
                  onSave={async (name) => {
                    await unwrap(api.PATCH('/v1/targets/mat/{id}', { params: { path: { id } }, body: { name } }));
                    await qc.invalidateQueries({ queryKey: ['targets'] });
                  }}
                />,
              ],
              [t('linkDetail.code'), <Anchor component={Link} to={`/targets/mat/codes/${l.linkCodeId}`} size="sm">{l.linkCodeName}</Anchor>],
              [t('links.columns.vendor'), t(`vendors.${l.vendor}`, { defaultValue: l.vendorName })],
              [t('links.columns.event'), t(`events.${l.event}`)],
              [t('links.columns.collectionType'), t(`collectionTypes.${l.collectionType}`)],
              [t('links.columns.registeredAt'), formatDate(l.registeredAt)],
              [
                t('linkDetail.population'),
                <Group gap="sm">
                  <span data-testid="mat-link-population"><PopulationBadge population={l.population} /></span>
                  <GuardedButton permission="targets.write" size="compact-xs" variant="default" onClick={() => refresh.mutate()} loading={refresh.isPending}>{t('linkDetail.refresh')}</GuardedButton>
                </Group>,
              ],
              [t('linkDetail.createdAt'), formatDate(l.createdAt)],
            ]}
          />
          <ProblemAlert error={refresh.error} />
          <Title order={4}>{t('linkDetail.usage')}</Title>
          <ProblemAlert error={usage.error} />
          <TargetUsageTable usage={usage.data?.items ?? []} />
        </>
      )}
    </Stack>
  );
}
