/**
 * 2단계 생성 완료: ① 광고반응 데이터 (the sources chosen, with their campaigns and the reactions)
 * ② 수집기간 (1–90일) ③ 광고반응타겟 이름 (generated, editable). Problems the API names by pointer
 * show on the field or on the source's row.
 */
import { NumberInput, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { fieldError } from '../../../../ui/Problem';
import { combinationLabel, type Draft, MAX_DAYS } from '../draft';
import { ns } from '../i18n';

export function StepComplete({ draft, name, error, onChange }: { draft: Draft; name: string; error: unknown; onChange: (d: Draft) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const type = draft.campaignType!;
  const label = combinationLabel(t, type, draft.combination);
  return (
    <Stack>
      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="ad-response-data">
        <Title order={4} size="h5" id="ad-response-data" mb="xs">① {t('wizard.data')}</Title>
        <Table withTableBorder aria-label={t('wizard.data')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('sourceColumns.campaign')}</Table.Th>
              <Table.Th>{type === 'DISPLAY' ? t('sourceColumns.adGroup') : t('sourceColumns.message')}</Table.Th>
              <Table.Th>{t('sourceColumns.reactions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {draft.sources.map((s, i) => {
              const problem = fieldError(error, `/sources/${i}`);
              return (
                <Table.Tr key={s.id}>
                  <Table.Td>{`${s.campaign.name} (${t(`campaignTypes.${s.campaign.type}`)})`}</Table.Td>
                  <Table.Td>
                    {s.adGroup ? `${s.adGroup.name} › ${s.name}` : s.name}
                    {problem && <Text size="xs" c="red.8">{t('wizard.sourceProblem', { message: problem })}</Text>}
                  </Table.Td>
                  <Table.Td>{label}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Paper>
      <NumberInput
        label={`② ${t('wizard.collectionDays')}`}
        description={t('wizard.collectionHint')}
        min={1}
        max={MAX_DAYS}
        clampBehavior="strict"
        allowDecimal={false}
        suffix={` ${t('daysUnit')}`}
        value={draft.collectionDays}
        onChange={(v) => onChange({ ...draft, collectionDays: typeof v === 'number' ? v : 1 })}
        error={fieldError(error, '/collectionDays')}
        w={260}
      />
      <Text size="xs">{t('notes.collection')}</Text>
      <TextInput
        label={`③ ${t('wizard.name')}`}
        description={t('wizard.nameHint')}
        value={name}
        maxLength={100}
        onChange={(e) => onChange({ ...draft, name: e.currentTarget.value })}
        error={fieldError(error, '/name', { unique: t('wizard.nameTaken') })}
        required
      />
      <Text size="sm">{t('wizard.afterSave')}</Text>
    </Stack>
  );
}
