/** A problem+json shown as its title and detail, with field messages listed under it. */
import { Alert, List } from '@mantine/core';
import { ApiProblem } from '../api/client';

export function ProblemAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const p = error instanceof ApiProblem ? error : new ApiProblem(0, 'Error', (error as Error).message ?? String(error));
  return (
    <Alert color="red" title={p.title} role="alert" data-testid="problem">
      {p.detail}
      {p.errors.length > 0 && (
        <List size="sm" mt="xs">
          {p.errors.map((e) => (
            <List.Item key={`${e.pointer}:${e.rule}`}>
              <code>{e.pointer || '/'}</code> ({e.rule}): {e.message}
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}

/** The message of a form field from the last problem, by JSON pointer. */
export function fieldError(error: unknown, pointer: string): string | undefined {
  return error instanceof ApiProblem ? error.field(pointer) : undefined;
}
