import { route, RouteSpec } from '../http/route';
import type { DataflowService } from './service';

export function dataflowRoutes(flows: DataflowService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/connections', permission: 'connections.read', tag: 'sources',
      summary: 'Source connections (SFTP, S3); credentials are never returned, only which ones are set',
      handler: async ({ caller }) => ({ items: await flows.listConnections(caller) }),
    }),
    route({
      method: 'post', path: '/v1/connections', permission: 'connections.write', tag: 'sources', body: 'connection-create', status: 201, errors: [409, 422],
      summary: 'Create an SFTP or S3 source connection; credentials are encrypted at rest',
      handler: async ({ caller, body }) => flows.createConnection(caller, body),
    }),
    route({
      method: 'get', path: '/v1/connections/:id', permission: 'connections.read', tag: 'sources',
      summary: 'One connection',
      handler: async ({ caller, params }) => flows.getConnection(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/connections/:id', permission: 'connections.write', tag: 'sources', body: 'connection-update', errors: [409, 422],
      summary: 'Rename a connection, change its settings or replace credentials',
      handler: async ({ caller, params, body }) => flows.updateConnection(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/connections/:id', permission: 'connections.write', tag: 'sources', errors: [409],
      summary: 'Delete a connection no dataflow uses',
      handler: async ({ caller, params }) => flows.deleteConnection(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/connections/:id/test', permission: 'connections.write', tag: 'sources', body: 'connection-test',
      summary: 'Check reachability, credentials and a folder; reports a reason (auth_failed, host_unreachable, no_such_folder, timeout …)',
      handler: async ({ caller, params, body }) => flows.testConnection(caller, params.id, body.folder),
    }),
    route({
      method: 'post', path: '/v1/connections/:id/preview', permission: 'connections.write', tag: 'sources', body: 'connection-preview', errors: [422],
      summary: 'The first rows of one remote file (≤ 10 rows, ≤ 1 MiB read, gzip sniffed): columns and cells as text, to map them; a connector failure or an unreadable file answers { ok: false, reason, message }',
      handler: async ({ caller, params, body }) => flows.previewFile(caller, params.id, body.path, body.format),
    }),
    route({
      method: 'get', path: '/v1/dataflows', permission: 'connections.read', tag: 'sources', query: 'dataflow-list-query',
      summary: 'Dataflows of the ad account',
      handler: async ({ caller, query }) => ({ items: await flows.listDataflows(caller, query) }),
    }),
    route({
      method: 'post', path: '/v1/dataflows', permission: 'connections.write', tag: 'sources', body: 'dataflow-create', status: 201, errors: [409, 422],
      summary: 'Create a dataflow: connection + folder + file pattern + format + dataset + mapping + schedule (+ backfill)',
      handler: async ({ caller, body }) => flows.createDataflow(caller, body),
    }),
    route({
      method: 'get', path: '/v1/dataflows/:id', permission: 'connections.read', tag: 'sources',
      summary: 'One dataflow with its next run time',
      handler: async ({ caller, params }) => flows.getDataflow(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/dataflows/:id', permission: 'connections.write', tag: 'sources', body: 'dataflow-update', errors: [409, 422],
      summary: 'Change a dataflow (schedule, pattern, enabled …)',
      handler: async ({ caller, params, body }) => flows.updateDataflow(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/dataflows/:id', permission: 'connections.write', tag: 'sources',
      summary: 'Delete a dataflow (what it ingested stays in the dataset)',
      handler: async ({ caller, params }) => flows.deleteDataflow(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/dataflows/:id/runs', permission: 'connections.write', tag: 'sources', status: 202,
      summary: 'Run a dataflow now; the run ingests only files not ingested before',
      handler: async ({ caller, params }) => flows.triggerRun(caller, params.id),
    }),
    route({
      method: 'get', path: '/v1/dataflows/:id/runs', permission: 'connections.read', tag: 'sources',
      summary: 'Runs of a dataflow, newest first, with status and counts',
      handler: async ({ caller, params }) => ({ items: await flows.listRuns(caller, params.id) }),
    }),
    route({
      method: 'get', path: '/v1/dataflows/:id/runs/:runId', permission: 'connections.read', tag: 'sources',
      summary: 'One run with the files it handled and their batches',
      handler: async ({ caller, params }) => flows.getRun(caller, params.id, params.runId),
    }),
  ];
}
