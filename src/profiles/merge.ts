/**
 * The profile merge as SQL — the one definition audiences, estimates, evaluations and exports use,
 * and the one the profile view (service.ts `get`) applies in JavaScript: per identity, the current,
 * profile-visible record of each dataset of one namespace, merged value by value, the most recently
 * merged batch's non-null value winning (a null never overwrites).
 *
 * A FULL JOIN of the datasets on the identity, each value chosen by `greatest(seq where not null)`:
 * measured at 1M + 0.5M records it runs as fast as a hand-written two-table merge, 2.6× faster than
 * GROUP BY with an ordered aggregate (which sorts every group). Batch seqs are unique across
 * datasets, so the greatest seq names one record.
 */
import { ident } from '../core/sql';
import { qualifiedData, SYS } from '../datasets/storage';

export interface MergeInput {
  /** The dataset's data table (unqualified, as stored). */
  table: string;
  /** One SQL expression per merged value over the dataset's columns (e.g. `"c_3"`, `null::integer`); trusted, never user text. */
  values: string[];
  /** An extra condition on the dataset's records (table alias `d`), e.g. only a snapshot's identities; its bindings come in dataset order. */
  where?: string;
}

/** `identity`, `seq` (the newest record's batch seq) and `v0…` (the merged values), one row per identity. */
export function mergedProfilesSql(datasets: readonly MergeInput[]): string {
  const width = datasets[0]?.values.length ?? 0;
  const v = (i: number) => ident(`v${i}`);
  const record = (d: MergeInput) =>
    `select d.${ident(SYS.identity)} as identity, d.${ident(SYS.seq)} as seq${d.values.map((x, i) => `, ${x} as ${v(i)}`).join('')}
     from ${qualifiedData(d.table)} d where d.${ident(SYS.current)} and d.${ident(SYS.profile)}${d.where ? ` and (${d.where})` : ''}`;
  if (datasets.length === 1) return record(datasets[0]);
  const r = (k: number) => ident(`r${k}`);
  const all = datasets.map((_d, k) => k);
  const identity = `coalesce(${all.map((k) => `${r(k)}.identity`).join(', ')})`;
  let from = `(${record(datasets[0])}) ${r(0)}`;
  for (const k of all.slice(1)) {
    from += `\n full join (${record(datasets[k])}) ${r(k)} on ${r(k)}.identity = coalesce(${all.slice(0, k).map((j) => `${r(j)}.identity`).join(', ')})`;
  }
  const merged = Array.from({ length: width }, (_x, i) => {
    const winner = `greatest(${all.map((k) => `case when ${r(k)}.${v(i)} is not null then ${r(k)}.seq end`).join(', ')})`;
    return `case ${winner} ${all.map((k) => `when ${r(k)}.seq then ${r(k)}.${v(i)}`).join(' ')} end as ${v(i)}`;
  });
  return `select ${identity} as identity, greatest(${all.map((k) => `${r(k)}.seq`).join(', ')}) as seq${merged.map((m) => `, ${m}`).join('')}
    from ${from}`;
}
