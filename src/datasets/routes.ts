import { route, RouteSpec } from '../http/route';
import type { DatasetService } from './service';

export function datasetRoutes(datasets: DatasetService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/datasets', permission: 'datasets.read', tag: 'datasets', query: 'dataset-list-query',
      summary: 'Datasets of the ad account, with record and batch counts, labels and expiration',
      handler: async ({ caller, query }) => datasets.list(caller, query),
    }),
    route({
      method: 'post', path: '/v1/datasets', permission: 'datasets.write', tag: 'datasets', body: 'dataset-create', status: 201, errors: [409, 422],
      summary: 'Create a dataset from a schema (its own table, one typed column per field)',
      handler: async ({ caller, body }) => datasets.create(caller, body),
    }),
    route({
      method: 'get', path: '/v1/datasets/:id', permission: 'datasets.read', tag: 'datasets',
      summary: 'One dataset',
      handler: async ({ caller, params }) => datasets.get(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/datasets/:id', permission: 'datasets.write', tag: 'datasets', body: 'dataset-update', errors: [409],
      summary: 'Rename or describe a dataset',
      handler: async ({ caller, params, body }) => datasets.update(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/datasets/:id', permission: 'datasets.write', tag: 'datasets',
      summary: 'Delete a dataset: its records, batches, row errors, labels and its contribution to profiles',
      handler: async ({ caller, params }) => datasets.delete(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/datasets/:id/enable-profile', permission: 'datasets.write', tag: 'datasets', body: 'dataset-enable-profile', errors: [422],
      summary: 'Enable the dataset for profile (one-way; batches merged afterwards feed profiles)',
      handler: async ({ caller, params, body }) => datasets.enableProfile(caller, params.id, body),
    }),
    route({
      method: 'put', path: '/v1/datasets/:id/labels', permission: 'labels.write', tag: 'datasets', body: 'dataset-labels', errors: [422],
      summary: 'Set the dataset-level labels (inherited by every field of the dataset)',
      handler: async ({ caller, params, body }) => datasets.setLabels(caller, params.id, body.labels),
    }),
    route({
      method: 'get', path: '/v1/datasets/:id/expiration', permission: 'datasets.read', tag: 'datasets',
      summary: 'The pending or executing expiration of a dataset',
      handler: async ({ caller, params }) => datasets.getExpiration(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/datasets/:id/expiration', permission: 'datasets.write', tag: 'datasets', body: 'dataset-expiration', status: 201, errors: [409, 422],
      summary: 'Schedule the dataset\'s deletion (at least 24 hours ahead; one per dataset)',
      handler: async ({ caller, params, body }) => datasets.setExpiration(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/datasets/:id/expiration', permission: 'datasets.write', tag: 'datasets', errors: [409],
      summary: 'Cancel a pending expiration',
      handler: async ({ caller, params }) => datasets.cancelExpiration(caller, params.id),
    }),
    route({
      method: 'get', path: '/v1/dataset-expirations', permission: 'datasets.read', tag: 'datasets', query: 'dataset-expiration-query',
      summary: 'Expirations of the account\'s datasets, including completed and cancelled ones',
      handler: async ({ caller, query }) => ({ items: await datasets.listExpirations(caller, query) }),
    }),
  ];
}
