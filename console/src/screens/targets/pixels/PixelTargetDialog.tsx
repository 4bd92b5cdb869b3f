/**
 * + 픽셀 & SDK 타겟 만들기: 픽셀 & SDK (one this ad account holds a right on), 이벤트 (or 전체 이벤트),
 * 수집기간 1–120일, and a name generated from them that stays editable.
 */
import { Button, Group, NumberInput, Select, Stack, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client';
import { Dialog } from '../../../ui/Dialog';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { ns } from './i18n';
import { PIXEL_EVENTS, PixelEvent, PixelTarget, Tracker } from './types';

export function PixelTargetDialog({ trackers, initialTrackId, onClose, onSaved }: { trackers: Tracker[]; initialTrackId?: string; onClose: () => void; onSaved: (p: PixelTarget) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [trackId, setTrackId] = useState<string | null>(initialTrackId ?? trackers[0]?.trackId ?? null);
  const [event, setEvent] = useState<PixelEvent | 'any'>('purchase');
  const [days, setDays] = useState<number>(30);
  const [name, setName] = useState<string | null>(null);
  const tracker = trackers.find((x) => x.trackId === trackId);
  const generated = `${tracker ? `${tracker.name} · ` : ''}${t('targetForm.generated', { event: t(`events.${event}`), days })}`;
  const shownName = name ?? generated;
  const save = useMutation({
    mutationFn: () =>
      unwrap<PixelTarget>(api.POST('/v1/targets/pixel', { body: { name: shownName.trim(), trackId: trackId ?? '', days, ...(event === 'any' ? {} : { event }) } })),
    onSuccess: async (p) => {
      await qc.invalidateQueries({ queryKey: ['targets'] });
      onSaved(p);
    },
  });
  const err = save.error;
  const shown = ['/name', '/trackId', '/event', '/days'].some((p) => fieldError(err, p));
  return (
    <Dialog opened onClose={onClose} title={t('targetForm.title')}>
      <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
        <Stack>
          <Select
            label={t('targetForm.tracker')}
            data={trackers.map((x) => ({ value: x.trackId, label: `${x.name} (${x.trackId})` }))}
            value={trackId}
            onChange={setTrackId}
            error={fieldError(err, '/trackId')}
            allowDeselect={false}
            required
          />
          <Select
            label={t('targetForm.event')}
            description={t('targetForm.eventHint')}
            data={[{ value: 'any', label: t('events.any') }, ...PIXEL_EVENTS.map((e) => ({ value: e, label: `${t(`events.${e}`)} (${e})` }))]}
            value={event}
            onChange={(v) => setEvent((v ?? 'any') as PixelEvent | 'any')}
            error={fieldError(err, '/event')}
            allowDeselect={false}
          />
          <NumberInput label={t('targetForm.days')} description={t('targetForm.daysHint')} min={1} max={120} value={days} onChange={(v) => setDays(typeof v === 'number' ? v : 30)} error={fieldError(err, '/days')} required />
          <TextInput label={t('targetForm.name')} description={t('targetForm.nameHint')} value={shownName} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(err, '/name')} maxLength={50} required />
          {err && !shown ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={save.isPending} disabled={!trackId || !shownName.trim()}>{t('common:save')}</Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}
