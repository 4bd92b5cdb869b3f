/** Placeholder until this tab is built (issue 15). */
import { Text } from '@mantine/core';

export default function Tab() {
  return <Text size="sm">…</Text>;
}
