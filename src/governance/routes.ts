import { route, RouteSpec } from '../http/route';
import type { GovernanceService } from './service';

export function governanceRoutes(governance: GovernanceService): RouteSpec[] {
  return [
    // ---- labels
    route({
      method: 'get', path: '/v1/labels', permission: 'labels.read', tag: 'governance', query: 'governance-label-query',
      summary: 'Data usage labels: the core catalog (contract C1–C12, identity, sensitive, THIRD_PARTY) and custom labels',
      handler: async ({ caller, query }) => ({ items: await governance.listLabels(caller, query) }),
    }),
    route({
      method: 'post', path: '/v1/labels', permission: 'labels.write', tag: 'governance', body: 'governance-label-create', status: 201,
      errors: [409, 422],
      summary: 'Create a custom label (case-sensitive code that does not clash with a core code)',
      handler: async ({ caller, body }) => governance.createLabel(caller, body),
    }),
    route({
      method: 'get', path: '/v1/labels/:code', permission: 'labels.read', tag: 'governance',
      summary: 'One label by its case-sensitive code',
      handler: async ({ caller, params }) => governance.getLabel(caller, params.code),
    }),
    route({
      method: 'patch', path: '/v1/labels/:code', permission: 'labels.write', tag: 'governance', body: 'governance-label-update',
      errors: [409],
      summary: 'Change a custom label\'s category, friendly name or description (core labels are read-only)',
      handler: async ({ caller, params, body }) => governance.updateLabel(caller, params.code, body),
    }),
    route({
      method: 'delete', path: '/v1/labels/:code', permission: 'labels.write', tag: 'governance',
      errors: [409],
      summary: 'Delete a custom label; 409 listing where it is still applied or used by a policy',
      handler: async ({ caller, params }) => governance.deleteLabel(caller, params.code),
    }),

    // ---- field labels
    route({
      method: 'get', path: '/v1/schemas/:id/labels', permission: 'labels.read', tag: 'governance',
      summary: 'Labels of every leaf field of a schema',
      handler: async ({ caller, params }) => governance.fieldLabels(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/schemas/:id/labels', permission: 'labels.write', tag: 'governance', body: 'governance-field-labels',
      errors: [422],
      summary: 'Add labels to schema fields: dot paths (an object path means all its leaves) or "*" for every field',
      handler: async ({ caller, params, body }) => governance.addFieldLabels(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/schemas/:id/labels', permission: 'labels.write', tag: 'governance', body: 'governance-field-labels',
      errors: [422],
      summary: 'Remove labels from schema fields (same addressing as adding)',
      handler: async ({ caller, params, body }) => governance.removeFieldLabels(caller, params.id, body),
    }),

    // ---- marketing actions
    route({
      method: 'get', path: '/v1/marketing-actions', permission: 'marketing-actions.read', tag: 'governance',
      summary: 'Marketing actions: the ten core ones and custom ones',
      handler: async ({ caller }) => ({ items: await governance.listMarketingActions(caller) }),
    }),
    route({
      method: 'post', path: '/v1/marketing-actions', permission: 'marketing-actions.write', tag: 'governance',
      body: 'governance-marketing-action-create', status: 201, errors: [409, 422],
      summary: 'Create a custom marketing action',
      handler: async ({ caller, body }) => governance.createMarketingAction(caller, body),
    }),
    route({
      method: 'get', path: '/v1/marketing-actions/:name', permission: 'marketing-actions.read', tag: 'governance',
      summary: 'One marketing action by its case-sensitive name',
      handler: async ({ caller, params }) => governance.getMarketingAction(caller, params.name),
    }),
    route({
      method: 'patch', path: '/v1/marketing-actions/:name', permission: 'marketing-actions.write', tag: 'governance',
      body: 'governance-marketing-action-update', errors: [409],
      summary: 'Change a custom marketing action\'s description (core ones are read-only)',
      handler: async ({ caller, params, body }) => governance.updateMarketingAction(caller, params.name, body),
    }),
    route({
      method: 'delete', path: '/v1/marketing-actions/:name', permission: 'marketing-actions.write', tag: 'governance',
      errors: [409],
      summary: 'Delete a custom marketing action; 409 while a policy uses it',
      handler: async ({ caller, params }) => governance.deleteMarketingAction(caller, params.name),
    }),

    // ---- policies
    route({
      method: 'post', path: '/v1/policies/evaluate', permission: 'policies.evaluate', tag: 'governance', body: 'governance-evaluate',
      errors: [422],
      summary: 'Which enabled policies a use of data violates: marketing actions × labels (given, or gathered from schema fields), with the matched deny expression and where each label came from',
      handler: async ({ caller, body }) => governance.evaluate(caller, body),
    }),
    route({
      method: 'get', path: '/v1/policies', permission: 'policies.read', tag: 'governance', query: 'governance-policy-query',
      summary: 'Data usage policies (core and custom), filtered by status, marketing action, label or core',
      handler: async ({ caller, query }) => governance.listPolicies(caller, query),
    }),
    route({
      method: 'post', path: '/v1/policies', permission: 'policies.write', tag: 'governance', body: 'governance-policy-create', status: 201,
      errors: [409, 422],
      summary: 'Create a policy: marketing actions denied when the deny expression (AND/OR tree of labels) matches',
      handler: async ({ caller, body }) => governance.createPolicy(caller, body),
    }),
    route({
      method: 'get', path: '/v1/policies/:id', permission: 'policies.read', tag: 'governance',
      summary: 'One policy',
      handler: async ({ caller, params }) => governance.getPolicy(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/policies/:id', permission: 'policies.write', tag: 'governance', body: 'governance-policy-update',
      errors: [409, 422],
      summary: 'Change a policy or its status (DRAFT, ENABLED, DISABLED); core policies accept status, name and description only',
      handler: async ({ caller, params, body }) => governance.updatePolicy(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/policies/:id', permission: 'policies.write', tag: 'governance',
      errors: [409],
      summary: 'Delete a policy (core policies cannot be deleted; disable them)',
      handler: async ({ caller, params }) => governance.deletePolicy(caller, params.id),
    }),
  ];
}
