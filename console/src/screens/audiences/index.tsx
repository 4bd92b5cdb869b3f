/**
 * Audiences (Adobe: Prospects → Audiences): the list, the Segment Builder (create and edit) and an
 * audience's page with its evaluations.
 */
import { Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Route, Routes, useParams } from 'react-router';
import { ProblemAlert } from '../../ui/Problem';
import { useAudience } from './api';
import { AudienceDetail } from './AudienceDetail';
import { AudienceList } from './AudienceList';
import { Builder } from './builder/Builder';

function EditAudience() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const audience = useAudience(id);
  if (audience.error) return <ProblemAlert error={audience.error} />;
  return audience.data ? <Builder key={id} audience={audience.data} /> : <Text size="sm">{t('loading')}</Text>;
}

export default function AudiencesScreen() {
  return (
    <Routes>
      <Route index element={<AudienceList />} />
      <Route path="new" element={<Builder />} />
      <Route path=":id" element={<AudienceDetail />} />
      <Route path=":id/edit" element={<EditAudience />} />
    </Routes>
  );
}
