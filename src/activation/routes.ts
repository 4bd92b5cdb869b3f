import { route, RouteSpec } from '../http/route';
import type { ActivationService } from './service';

export function activationRoutes(activation: ActivationService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/destinations', permission: 'destinations.read', tag: 'activation',
      summary: 'Destinations (S3, LiveRamp-style SFTP) with the marketing actions their use implies; credentials never returned',
      handler: async ({ caller }) => ({ items: await activation.listDestinations(caller) }),
    }),
    route({
      method: 'post', path: '/v1/destinations', permission: 'destinations.write', tag: 'activation', body: 'destination-create', status: 201, errors: [409, 422],
      summary: 'Create a destination; credentials are encrypted at rest; marketingActions beyond the kind\'s defaults only by governance or admin (destinations.govern)',
      handler: async ({ caller, body }) => activation.createDestination(caller, body),
    }),
    route({
      method: 'get', path: '/v1/destinations/:id', permission: 'destinations.read', tag: 'activation',
      summary: 'One destination',
      handler: async ({ caller, params }) => activation.getDestination(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/destinations/:id', permission: 'destinations.write', tag: 'activation', body: 'destination-update', errors: [409, 422],
      summary: 'Change a destination (settings, credentials, marketing actions — those only by governance or admin: destinations.govern); refused when an activation using it would then violate policy',
      handler: async ({ caller, params, body }) => activation.updateDestination(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/destinations/:id', permission: 'destinations.write', tag: 'activation', errors: [409],
      summary: 'Delete a destination no activation uses',
      handler: async ({ caller, params }) => activation.deleteDestination(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/destinations/:id/test', permission: 'destinations.write', tag: 'activation',
      summary: 'Check that the destination can be reached and written',
      handler: async ({ caller, params }) => activation.testDestination(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/activations/dry-run', permission: 'activations.read', tag: 'activation', body: 'activation-create', errors: [422],
      summary: 'Policy verdict (with lineage), counts that would be exported and excluded, and file names — nothing is written',
      handler: async ({ caller, body }) => activation.dryRun(caller, body),
    }),
    route({
      method: 'get', path: '/v1/activations', permission: 'activations.read', tag: 'activation',
      summary: 'Activations of the ad account',
      handler: async ({ caller }) => ({ items: await activation.listActivations(caller) }),
    }),
    route({
      method: 'post', path: '/v1/activations', permission: 'activations.write', tag: 'activation', body: 'activation-create', status: 201, errors: [409, 422],
      summary: 'Activate prospect audiences and/or first-party targets to a destination; refused (422 policy-violation, with lineage) when labels and policies forbid it (a mix is also judged as combineData)',
      handler: async ({ caller, body }) => activation.createActivation(caller, body),
    }),
    route({
      method: 'get', path: '/v1/activations/:id', permission: 'activations.read', tag: 'activation',
      summary: 'One activation with its policy verdict as of now',
      handler: async ({ caller, params }) => activation.getActivation(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/activations/:id', permission: 'activations.write', tag: 'activation', body: 'activation-update', errors: [409, 422],
      summary: 'Change an activation; re-checked against policy',
      handler: async ({ caller, params, body }) => activation.updateActivation(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/activations/:id', permission: 'activations.write', tag: 'activation',
      summary: 'Delete an activation (exported files stay at the destination)',
      handler: async ({ caller, params }) => activation.deleteActivation(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/activations/:id/runs', permission: 'activations.write', tag: 'activation', status: 202, errors: [409],
      summary: 'Export now: policy is checked again before any byte is written; 409 (with runId) while a run of the activation is queued or processing',
      handler: async ({ caller, params }) => activation.triggerRun(caller, params.id),
    }),
    route({
      method: 'get', path: '/v1/activations/:id/runs', permission: 'activations.read', tag: 'activation',
      summary: 'Runs of an activation: status, counts (received, activated, excluded, failed) and files',
      handler: async ({ caller, params }) => ({ items: await activation.listRuns(caller, params.id) }),
    }),
    route({
      method: 'get', path: '/v1/activations/:id/runs/:runId', permission: 'activations.read', tag: 'activation',
      summary: 'One run with its files (name, rows, bytes) or the violation that blocked it',
      handler: async ({ caller, params }) => activation.getRun(caller, params.id, params.runId),
    }),
  ];
}
