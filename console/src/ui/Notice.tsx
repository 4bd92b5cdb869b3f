/**
 * A tinted notice whose title is in the text colour: Mantine's light Alert titles in green, orange
 * and yellow are below AA contrast on their own tint (axe, serious).
 */
import { Alert, AlertProps } from '@mantine/core';

const COLORS = { success: 'green', warning: 'orange', info: 'blue', danger: 'red' } as const;

export function Notice({ tone, ...rest }: { tone: keyof typeof COLORS } & Omit<AlertProps, 'color' | 'variant'> & { 'data-testid'?: string; role?: string }) {
  return <Alert color={COLORS[tone]} variant="light" styles={{ title: { color: 'var(--mantine-color-text)' } }} {...rest} />;
}
