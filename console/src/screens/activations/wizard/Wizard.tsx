/**
 * The activation wizard (Adobe: Activate destination): destination → audiences → scheduling and
 * file name → mapping → review. `?destination=` preselects a destination (the destination page's
 * Activate button).
 */
import { Button, Group, Stack, Stepper, Text, Title } from '@mantine/core';
import { useCallback, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { ProblemAlert } from '../../../ui/Problem';
import { useAudiences, useNamespaces, useProspectAttributes } from '../../audiences/api';
import { useDestinations } from '../../destinations/DestinationList';
import { ns } from '../i18n';
import { Draft, emptyDraft, Step, stepProblem, STEPS } from './draft';
import { MappingStep } from './MappingStep';
import { ReviewStep } from './ReviewStep';
import { ScheduleStep } from './ScheduleStep';
import { AudiencesStep, DestinationStep } from './SelectSteps';

export function Wizard() {
  const { t } = useTranslation([ns, 'common']);
  const [params] = useSearchParams();
  const [draft, setDraft] = useState<Draft>(() => emptyDraft(params.get('destination')));
  const [active, setActive] = useState(0);
  const [problem, setProblem] = useState<unknown>(null);
  const destinations = useDestinations();
  const audiences = useAudiences();
  const namespaces = useNamespaces();
  const { attributes, primaryNamespaces } = useProspectAttributes();
  const set = (patch: Partial<Draft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setProblem(null);
  };
  const onProblem = useCallback((err: unknown) => setProblem(err), []);
  const destination = destinations.data?.find((d) => d.id === draft.destinationId);
  const step: Step = STEPS[active];
  const blocked = stepProblem(step, draft);
  const go = (i: number) => {
    // Defaults a step can only know once the earlier ones are chosen.
    if (STEPS[i] === 'schedule' && !draft.name) {
      const names = (audiences.data ?? []).filter((a) => draft.audienceIds.includes(a.id)).map((a) => a.name);
      set({ name: `${names.join(', ')} (${destination?.name ?? ''})` });
    }
    if (STEPS[i] === 'mapping' && !draft.identity.namespace && primaryNamespaces[0]) set({ identity: { ...draft.identity, namespace: primaryNamespaces[0] } });
    setActive(i);
  };
  const reachable = (i: number) => STEPS.slice(0, i).every((s) => stepProblem(s, draft) === null);
  return (
    <Stack>
      <Title order={2}>{t('wizard.title')}</Title>
      <ProblemAlert error={destinations.error ?? audiences.error} />
      <Stepper active={active} onStepClick={(i) => reachable(i) && go(i)} size="sm" allowNextStepsSelect={false}>
        {STEPS.map((s) => (
          <Stepper.Step key={s} label={t(`wizard.steps.${s}`)} description={t(`wizard.stepHints.${s}`)}>
            <Stack mt="md">
              {s === 'destination' && <DestinationStep draft={draft} set={set} destinations={destinations.data ?? []} />}
              {s === 'audiences' && <AudiencesStep draft={draft} set={set} audiences={audiences.data ?? []} />}
              {s === 'schedule' && <ScheduleStep draft={draft} set={set} destination={destination} audiences={audiences.data ?? []} error={problem} />}
              {s === 'mapping' && <MappingStep draft={draft} set={set} attributes={attributes} namespaces={namespaces.data ?? []} liveRamp={destination?.kind === 'liveramp'} accepts={destination?.acceptsIdentities} error={problem} />}
              {s === 'review' && <ReviewStep draft={draft} destination={destination} audiences={audiences.data ?? []} onProblem={onProblem} onBack={() => go(active - 1)} />}
            </Stack>
          </Stepper.Step>
        ))}
      </Stepper>
      {step !== 'review' && (
        <Group justify="space-between">
          <Button variant="default" onClick={() => go(active - 1)} disabled={active === 0}>{t('wizard.back')}</Button>
          <Group>
            {blocked && <Text size="sm" c="dimmed">{t(blocked)}</Text>}
            <Button onClick={() => go(active + 1)} disabled={!!blocked}>{t('wizard.next')}</Button>
          </Group>
        </Group>
      )}
    </Stack>
  );
}
