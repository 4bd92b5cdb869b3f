import { route, RouteSpec } from '../http/route';
import type { InsightService } from './insights';
import type { AudienceService } from './service';

export function audienceRoutes(audiences: AudienceService, insights?: InsightService): RouteSpec[] {
  return [
    route({
      method: 'get', path: '/v1/audiences', permission: 'audiences.read', tag: 'audiences', query: 'audience-list-query',
      summary: 'Prospect audiences: name, size (last evaluation), status, labels, created and updated',
      handler: async ({ caller, query }) => ({ items: await audiences.list(caller, query) }),
    }),
    route({
      method: 'post', path: '/v1/audiences', permission: 'audiences.write', tag: 'audiences', body: 'audience-create', status: 201, errors: [409, 422],
      summary: 'Create a batch audience from a rule (PQL-like text or a JSON condition tree) over prospect attributes',
      handler: async ({ caller, body }) => audiences.create(caller, body),
    }),
    route({
      method: 'post', path: '/v1/audiences/estimate', permission: 'audiences.read', tag: 'audiences', body: 'audience-estimate', errors: [422],
      summary: 'The exact number of profiles a rule selects now, before saving it; with sample: true also up to 10 qualifying members (namespace id and identity)',
      handler: async ({ caller, body }) => audiences.estimate(caller, body),
    }),
    route({
      method: 'get', path: '/v1/audiences/:id', permission: 'audiences.read', tag: 'audiences',
      summary: 'One audience with its rule in both forms, labels and last evaluation',
      handler: async ({ caller, params }) => audiences.get(caller, params.id),
    }),
    route({
      method: 'patch', path: '/v1/audiences/:id', permission: 'audiences.write', tag: 'audiences', body: 'audience-update', errors: [409, 422],
      summary: 'Change an audience: rule, name, status (draft, published, archived) or daily schedule',
      handler: async ({ caller, params, body }) => audiences.update(caller, params.id, body),
    }),
    route({
      method: 'delete', path: '/v1/audiences/:id', permission: 'audiences.write', tag: 'audiences', errors: [409],
      summary: 'Delete an audience no activation uses',
      handler: async ({ caller, params }) => audiences.delete(caller, params.id),
    }),
    route({
      method: 'post', path: '/v1/audiences/:id/evaluations', permission: 'audiences.write', tag: 'audiences', status: 202, errors: [409],
      summary: 'Evaluate the audience now (batch); the evaluation stores a membership snapshot and counts',
      handler: async ({ caller, params }) => audiences.evaluate(caller, params.id),
    }),
    route({
      method: 'get', path: '/v1/audiences/:id/evaluations', permission: 'audiences.read', tag: 'audiences',
      summary: 'Evaluations of an audience, newest first: status, members, entered, exited',
      handler: async ({ caller, params }) => ({ items: await audiences.listEvaluations(caller, params.id) }),
    }),
    route({
      method: 'get', path: '/v1/audiences/:id/evaluations/:evaluationId', permission: 'audiences.read', tag: 'audiences',
      summary: 'One evaluation',
      handler: async ({ caller, params }) => audiences.getEvaluation(caller, params.id, params.evaluationId),
    }),
    ...(insights ? insightRoutes(insights) : []),
  ];
}

/** Insights (issue 16 §3): exact counts, each one statement. */
function insightRoutes(insights: InsightService): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/v1/audiences/sample', permission: 'audiences.read', tag: 'audiences', body: 'audience-sample', errors: [422],
      summary: 'Up to 50 profiles a rule selects now (Adobe "View profiles"), each with its namespace and the merged values of the fields asked (default the first 20 prospect fields)',
      handler: async ({ caller, body }) => insights.sampleRule(caller, body),
    }),
    route({
      method: 'post', path: '/v1/audiences/breakdown', permission: 'audiences.read', tag: 'audiences', body: 'audience-breakdown', errors: [422],
      summary: 'Exact counts of the profiles a rule selects now: by identity namespace and, with field, by one merged attribute (top values and "other", or an equal-width histogram for numbers and dates), nulls apart',
      handler: async ({ caller, body }) => insights.breakdownRule(caller, body),
    }),
    route({
      method: 'post', path: '/v1/audiences/overlap', permission: 'audiences.read', tag: 'audiences', body: 'audience-overlap', errors: [409, 422],
      summary: 'Exact size of every region (A only, A∩B, …, A∩B∩C) of 2–3 saved audiences, from each one\'s latest successful evaluation',
      handler: async ({ caller, body }) => insights.overlap(caller, body),
    }),
    route({
      method: 'post', path: '/v1/audiences/:id/sample', permission: 'audiences.read', tag: 'audiences', body: 'audience-saved-sample', errors: [409, 422],
      summary: 'Up to 50 members of the audience\'s latest successful evaluation with their merged attribute values now',
      handler: async ({ caller, params, body }) => insights.sampleAudience(caller, params.id, body),
    }),
    route({
      method: 'post', path: '/v1/audiences/:id/breakdown', permission: 'audiences.read', tag: 'audiences', body: 'audience-saved-breakdown', errors: [409, 422],
      summary: 'The latest successful evaluation\'s members by identity namespace and, with field, by one merged attribute (top values and "other", or a histogram)',
      handler: async ({ caller, params, body }) => insights.breakdownAudience(caller, params.id, body),
    }),
  ];
}
