/**
 * 픽셀 & SDK 타겟 상세: name (✎), 픽셀 & SDK, 수집 조건 (이벤트, 수집기간; changing them counts again),
 * 타겟 모수 with its state and 다시 조회, 타겟 사용 현황, delete (refused while used, with the list).
 */
import { Anchor, Group, Loader, NumberInput, Select, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate } from '../../../i18n';
import { EditableName } from '../../../ui/EditableName';
import { Facts } from '../../../ui/Facts';
import { GuardedButton } from '../../../ui/Guarded';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { DeleteTargetButton, TargetUsageTable } from '../../../ui/TargetUsage';
import { PIXEL_TARGETS_KEY, TRACKERS_KEY, usePixelTarget, useTargetUsage } from './api';
import { ns } from './i18n';
import { PIXEL_EVENTS, PixelEvent, PixelTarget } from './types';

export function PixelTargetDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const target = usePixelTarget(id);
  const usage = useTargetUsage(id);
  const refresh = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/targets/{id}/refresh', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: PIXEL_TARGETS_KEY }),
  });
  if (target.isPending) return <Loader aria-label={t('common:loading')} />;
  const p = target.data;
  return (
    <Stack>
      <Anchor component={Link} to="/targets/pixels" size="sm">← {t('targetDetail.back')}</Anchor>
      <ProblemAlert error={target.error} />
      {p && (
        <>
          <Group justify="space-between">
            <Title order={3}>{t('targetDetail.title')}</Title>
            <DeleteTargetButton
              name={p.name}
              onDelete={() => unwrap(api.DELETE('/v1/targets/pixel/{id}', { params: { path: { id } } }))}
              onDeleted={() => {
                void qc.invalidateQueries({ queryKey: ['targets'] });
                void qc.invalidateQueries({ queryKey: TRACKERS_KEY });
                navigate('/targets/pixels');
              }}
            />
          </Group>
          <Facts
            labelWidth={160}
            items={[
              [
                t('targets.columns.name'),
                <EditableName
                  value={p.name}
                  label={t('targets.columns.name')}
                  permission="targets.write"
                  maxLength={50}
                  onSave={async (name) => {
                    await unwrap(api.PATCH('/v1/targets/pixel/{id}', { params: { path: { id } }, body: { name } }));
                    await qc.invalidateQueries({ queryKey: ['targets'] });
                  }}
                />,
              ],
              [t('targets.columns.tracker'), <Anchor component={Link} to={`/targets/pixels/${p.trackId}`} size="sm">{p.trackerName} ({p.trackId})</Anchor>],
              [t('targetDetail.settings'), `${t(`events.${p.event ?? 'any'}`)} · ${t('targets.days', { n: p.days })}`],
              [
                t('targetDetail.population'),
                <Group gap="sm">
                  <span data-testid="pixel-target-population"><PopulationBadge population={p.population} /></span>
                  <GuardedButton permission="targets.write" size="compact-xs" variant="default" onClick={() => refresh.mutate()} loading={refresh.isPending}>{t('targetDetail.refresh')}</GuardedButton>
                </Group>,
              ],
              [t('targetDetail.createdAt'), formatDate(p.createdAt)],
              [t('targetDetail.updatedAt'), formatDate(p.updatedAt)],
            ]}
          />
          <ProblemAlert error={refresh.error} />
          <EditCondition target={p} />
          <Title order={4}>{t('targets.columns.usage')}</Title>
          <ProblemAlert error={usage.error} />
          <TargetUsageTable usage={usage.data?.items ?? []} />
        </>
      )}
    </Stack>
  );
}

function EditCondition({ target }: { target: PixelTarget }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [event, setEvent] = useState<PixelEvent | 'any'>(target.event ?? 'any');
  const [days, setDays] = useState<number>(target.days);
  const save = useMutation({
    mutationFn: () => unwrap(api.PATCH('/v1/targets/pixel/{id}', { params: { path: { id: target.id } }, body: { event: event === 'any' ? null : event, days } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['targets'] }),
  });
  const changed = event !== (target.event ?? 'any') || days !== target.days;
  const shown = fieldError(save.error, '/event') || fieldError(save.error, '/days');
  return (
    <Stack gap="xs">
      <div>
        <Text fw={500} size="sm">{t('targetDetail.edit')}</Text>
        <Text size="xs" c="dimmed">{t('targetDetail.editHint')}</Text>
      </div>
      <Group align="flex-end">
        <Select
          label={t('targetForm.event')}
          data={[{ value: 'any', label: t('events.any') }, ...PIXEL_EVENTS.map((e) => ({ value: e, label: `${t(`events.${e}`)} (${e})` }))]}
          value={event}
          onChange={(v) => setEvent((v ?? 'any') as PixelEvent | 'any')}
          error={fieldError(save.error, '/event')}
          allowDeselect={false}
        />
        <NumberInput label={t('targetForm.days')} min={1} max={120} value={days} onChange={(v) => setDays(typeof v === 'number' ? v : target.days)} error={fieldError(save.error, '/days')} w={140} />
        <GuardedButton permission="targets.write" onClick={() => save.mutate()} loading={save.isPending} disabled={!changed}>{t('common:save')}</GuardedButton>
      </Group>
      {save.error && !shown ? <ProblemAlert error={save.error} /> : null}
    </Stack>
  );
}
