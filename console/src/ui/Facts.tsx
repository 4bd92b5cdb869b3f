/** Label–value pairs of a resource (Adobe's properties panels), drawn with Mantine's DataList. */
import { DataList } from '@mantine/core';
import type { ReactNode } from 'react';

export function Facts({ items, labelWidth = 140 }: { items: [string, ReactNode][]; labelWidth?: number }) {
  return (
    <DataList withDivider labelWidth={labelWidth}>
      {items.map(([label, value]) => (
        <DataList.Item key={label}>
          <DataList.ItemLabel>{label}</DataList.ItemLabel>
          <DataList.ItemValue>{value}</DataList.ItemValue>
        </DataList.Item>
      ))}
    </DataList>
  );
}
