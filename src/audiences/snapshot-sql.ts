/**
 * The stored snapshots (audience_members) as SQL other modules compose into one statement — an
 * export joins a snapshot with the merged records in PostgreSQL, never row by row in JavaScript.
 * Only this module names its tables; callers get a fragment and its bindings.
 */
/** A statement or part of one, and its bindings. */
export interface SnapshotSql {
  sql: string;
  bindings: unknown[];
}

/** `identity`, `src` (the evaluation id) of the members of several snapshots in one namespace. */
export function snapshotsMembersSql(evaluationIds: readonly string[], namespaceId: string): SnapshotSql {
  return {
    sql: 'select m.identity, m.evaluation_id as src from audience_members m where m.evaluation_id = any(?::text[]) and m.namespace_id = ?',
    bindings: [evaluationIds, namespaceId],
  };
}

/** `identity` of one snapshot's members in one namespace, straight off its primary key (in identity order). */
export function snapshotMembersSql(evaluationId: string, namespaceId: string): SnapshotSql {
  return { sql: 'select m.identity from audience_members m where m.evaluation_id = ? and m.namespace_id = ?', bindings: [evaluationId, namespaceId] };
}

/**
 * The members of one snapshot in one namespace, as a scalar: the evaluation's stored count when the
 * snapshot holds no other namespace (two primary-key probes), else counted — a second read.
 */
export function snapshotSizeSql(evaluationId: string, namespaceId: string): SnapshotSql {
  return {
    sql: `case when exists (select 1 from audience_members where evaluation_id = ? and namespace_id < ?)
                 or exists (select 1 from audience_members where evaluation_id = ? and namespace_id > ?)
            then (select count(*) from audience_members where evaluation_id = ? and namespace_id = ?)
            else (select members from audience_evaluations where id = ?) end`,
    bindings: [evaluationId, namespaceId, evaluationId, namespaceId, evaluationId, namespaceId, evaluationId],
  };
}
