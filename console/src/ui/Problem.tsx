/** A problem+json shown as its title and detail, with field messages listed under it, in the console's language. */
import { Alert, List, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ApiProblem } from '../api/client';
import { fieldMessage, problemTitle, wordedHere } from './problem-text';

export function ProblemAlert({ error }: { error: unknown }) {
  const { t } = useTranslation('problem'); // re-renders on a language switch
  if (!error) return null;
  const p = error instanceof ApiProblem ? error : new ApiProblem(0, 'Error', (error as Error).message ?? String(error));
  const secondary = wordedHere(p);
  return (
    <Alert color="red" title={problemTitle(p)} role="alert" data-testid="problem">
      {secondary ? (
        <Text size="xs" c="dimmed" title={t('details')}>{p.detail}</Text>
      ) : (
        p.detail
      )}
      {p.errors.length > 0 && (
        <List size="sm" mt="xs">
          {p.errors.map((e) => (
            <List.Item key={`${e.pointer}:${e.rule}`}>
              <code>{e.pointer || '/'}</code> ({e.rule}): {fieldMessage(e)}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}

/**
 * The message of a form field from the last problem, by JSON pointer, in the console's language;
 * `wording` gives a screen's own words for some rules (e.g. a target name already used).
 */
export function fieldError(error: unknown, pointer: string, wording: Record<string, string> = {}): string | undefined {
  if (!(error instanceof ApiProblem)) return undefined;
  const e = error.errors.find((x) => x.pointer === pointer || x.pointer.startsWith(`${pointer}/`));
  return e && (wording[e.rule] ?? fieldMessage(e));
}
