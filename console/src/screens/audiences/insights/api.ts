/** Insight queries (POST /v1/audiences/sample|breakdown|overlap and the saved audience's forms) and the DTOs they read. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';

export type InsightSource = { rule: Record<string, unknown> | string } | { audienceId: string; evaluationId: string };

export interface NamespaceRef {
  id: string;
  code: string;
  name: string;
}

export interface SampleResult {
  fields: string[];
  items: { namespace: NamespaceRef; identity: string; attributes: Record<string, unknown> }[];
}

export interface ValuesBreakdown {
  field: string;
  kind: string;
  type: 'values';
  nulls: number;
  values: { value: string | boolean; count: number }[];
  other: number;
  distinct: number;
}

export interface HistogramBreakdown {
  field: string;
  kind: string;
  type: 'histogram';
  nulls: number;
  min: number | string | null;
  max: number | string | null;
  binWidth: number | null;
  bins: { from: number | string; to: number | string; count: number }[];
}

export interface BreakdownResult {
  total: number;
  evaluationId?: string;
  byNamespace: { namespace: NamespaceRef; count: number }[];
  attribute?: ValuesBreakdown | HistogramBreakdown;
}

export interface OverlapResult {
  audiences: { id: string; name: string; evaluationId: string; evaluatedAt: string | null; size: number }[];
  regions: { in: string[]; notIn: string[]; count: number }[];
  union: number;
}

export const SAMPLE_SIZE = 10;

export function useSample(source: InsightSource | null, fields: string[]) {
  return useQuery({
    queryKey: ['audience-insights', 'sample', source, fields],
    enabled: source !== null && fields.length > 0,
    placeholderData: keepPreviousData,
    retry: false,
    queryFn: () =>
      'rule' in source!
        ? unwrap<SampleResult>(api.POST('/v1/audiences/sample', { body: { rule: source.rule as never, fields, limit: SAMPLE_SIZE } }))
        : unwrap<SampleResult>(api.POST('/v1/audiences/{id}/sample', { params: { path: { id: source!.audienceId } }, body: { fields, limit: SAMPLE_SIZE } })),
  });
}

export function useBreakdown(source: InsightSource | null, field: string | null) {
  const body = { ...(field ? { field } : {}), top: 10, bins: 10 };
  return useQuery({
    queryKey: ['audience-insights', 'breakdown', source, field],
    enabled: source !== null,
    placeholderData: keepPreviousData,
    retry: false,
    queryFn: () =>
      'rule' in source!
        ? unwrap<BreakdownResult>(api.POST('/v1/audiences/breakdown', { body: { rule: source.rule as never, ...body } }))
        : unwrap<BreakdownResult>(api.POST('/v1/audiences/{id}/breakdown', { params: { path: { id: source!.audienceId } }, body })),
  });
}

export function useOverlap(audienceIds: string[], enabled: boolean) {
  return useQuery({
    queryKey: ['audience-insights', 'overlap', audienceIds],
    enabled: enabled && audienceIds.length >= 2 && audienceIds.length <= 3,
    retry: false,
    queryFn: () => unwrap<OverlapResult>(api.POST('/v1/audiences/overlap', { body: { audienceIds } })),
  });
}

/** The field paths a rule's JSON form reads, in order of appearance. */
export function fieldsOfRule(rule: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'field' && typeof v === 'string') {
          if (!out.includes(v)) out.push(v);
        } else walk(v);
      }
    }
  };
  walk(rule);
  return out;
}
