/**
 * + MAT 연동하기: ① MAT 연동 이름 ② 업체 ③ 이벤트 [Install] [open] [purchase] (one) — only vendors and
 * events received for the chosen 연동코드 can be picked, as the API accepts only those — 수집유형 리타게팅,
 * ④ 저장 ⑤ 취소.
 */
import { Button, Group, Radio, Select, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client';
import { formatDate, formatNumber } from '../../../i18n';
import { Dialog } from '../../../ui/Dialog';
import { Notice } from '../../../ui/Notice';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { useReceived } from './api';
import { ns } from './i18n';
import { LinkCode, MAT_EVENTS, MatEvent, MatLink, MatVendor } from './types';

export function MatLinkDialog({ codes, onClose, onSaved }: { codes: LinkCode[]; onClose: () => void; onSaved: (l: MatLink) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [codeId, setCodeId] = useState<string | null>(codes[0]?.id ?? null);
  const [vendor, setVendor] = useState<MatVendor | null>(null);
  const [event, setEvent] = useState<MatEvent | null>(null);
  const received = useReceived(codeId);
  const items = received.data?.items ?? [];
  const vendors = [...new Set(items.map((r) => r.vendor))];
  const chosenVendor = vendor && vendors.includes(vendor) ? vendor : (vendors[0] ?? null);
  const ofVendor = items.filter((r) => r.vendor === chosenVendor);
  const chosenEvent = event && ofVendor.some((r) => r.event === event) ? event : null;
  const save = useMutation({
    mutationFn: () =>
      unwrap<MatLink>(api.POST('/v1/targets/mat', { body: { name: name.trim(), linkCodeId: codeId ?? '', vendor: chosenVendor!, event: chosenEvent!, collectionType: 'RETARGETING' } })),
    onSuccess: async (l) => {
      await qc.invalidateQueries({ queryKey: ['targets'] });
      onSaved(l);
    },
  });
  const err = save.error;
  const shown = ['/name', '/linkCodeId', '/vendor', '/event'].some((p) => fieldError(err, p));
  return (
    <Dialog opened onClose={onClose} title={t('linkForm.title')} size="lg">
      <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
        <Stack>
          <TextInput label={t('linkForm.name')} description={t('linkForm.nameHint')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(err, '/name')} maxLength={50} required data-autofocus />
          <Select
            label={t('linkForm.code')}
            data={codes.map((c) => ({ value: c.id, label: c.name }))}
            value={codeId}
            onChange={(v) => { setCodeId(v); setVendor(null); setEvent(null); }}
            error={fieldError(err, '/linkCodeId')}
            allowDeselect={false}
            required
          />
          <ProblemAlert error={received.error} />
          {received.data && items.length === 0 ? (
            <Notice tone="warning" data-testid="nothing-received">{t('linkForm.nothing')}</Notice>
          ) : (
            <>
              <Select
                label={t('linkForm.vendor')}
                description={t('linkForm.vendorHint')}
                data={vendors.map((v) => ({ value: v, label: t(`vendors.${v}`) }))}
                value={chosenVendor}
                onChange={(v) => { setVendor(v as MatVendor | null); setEvent(null); }}
                error={fieldError(err, '/vendor')}
                allowDeselect={false}
                required
              />
              <Radio.Group label={t('linkForm.event')} description={t('linkForm.eventHint')} value={chosenEvent} onChange={(v) => setEvent(v as MatEvent)} error={fieldError(err, '/event')} required>
                <Stack gap={6} mt="xs">
                  {MAT_EVENTS.map((ev) => {
                    const r = ofVendor.find((x) => x.event === ev);
                    return (
                      <Radio
                        key={ev}
                        value={ev}
                        disabled={!r}
                        label={t(`events.${ev}`)}
                        description={r ? t('linkForm.receivedAt', { at: formatDate(r.firstCollectedAt), n: formatNumber(r.count) }) : t('linkForm.notReceived')}
                      />
                    );
                  })}
                </Stack>
              </Radio.Group>
            </>
          )}
          <Radio.Group label={t('linkForm.collectionType')} value="RETARGETING">
            <Group mt={4}><Radio value="RETARGETING" label={t('collectionTypes.RETARGETING')} /></Group>
          </Radio.Group>
          {err && !shown ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={save.isPending} disabled={!name.trim() || !codeId || !chosenVendor || !chosenEvent}>{t('common:save')}</Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}
