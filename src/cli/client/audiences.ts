/**
 * `cdp audiences estimate "<rule>"` (POST /v1/audiences/estimate) and `cdp profiles get <namespace>
 * <identity>` (GET /v1/profiles/{namespace}/{identity}): short aligned lines, or the API's JSON.
 */
import type { Command } from 'commander';
import type { AudienceService } from '../../audiences/service';
import type { Profile } from '../../profiles/service';
import { answer, type operations } from './api';
import { connect } from './context';
import { count, printFields, printJson } from './output';

type Estimate = Awaited<ReturnType<AudienceService['estimate']>>;
type EstimateBody = operations['postV1AudiencesEstimate']['requestBody']['content']['application/json'];

/** The rule as the API takes it: PQL-like text, or the JSON condition tree when it reads as one. */
export function ruleOf(text: string): EstimateBody['rule'] {
  if (!text.trimStart().startsWith('{')) return text;
  try {
    return JSON.parse(text) as EstimateBody['rule'];
  } catch {
    return text; // not JSON after all: the API names what is wrong with it as a rule
  }
}

async function estimate(rule: string, opts: { sample?: boolean; json?: boolean }, version: string): Promise<void> {
  const { conn, api } = connect(version);
  const body: EstimateBody = { rule: ruleOf(rule), sample: opts.sample === true };
  const result = await answer<Estimate>(conn, api.POST('/v1/audiences/estimate', { body }));
  if (opts.json) return printJson(result);
  printFields([
    ['size', count(result.size)],
    ['rule', result.rule.text],
    ['datasets', result.datasets.join(', ') || '—'],
    ['labels', result.labels.join(', ') || '—'],
    ...(result.sample ?? []).map((m): [string, string] => ['member', `${m.namespaceId}  ${m.identity}`]),
  ]);
}

/** Nested attributes as dotted field paths, the schema's own names. */
function leaves(value: unknown, prefix = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [[prefix, value]];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

async function profile(namespace: string, identity: string, opts: { json?: boolean }, version: string): Promise<void> {
  const { conn, api } = connect(version);
  const p = await answer<Profile>(conn, api.GET('/v1/profiles/{namespace}/{identity}', { params: { path: { namespace, identity } } }));
  if (opts.json) return printJson(p);
  const memberships = p.audienceMemberships as { audienceId: string; name: string }[];
  printFields([
    ['profile', `${p.namespace.code}  ${p.identity}`],
    ['namespace', `${p.namespace.name} (${p.namespace.type})`],
    ...leaves(p.attributes).map(([field, v]): [string, string] => {
      const from = p.attributeSources[field];
      return [field, `${typeof v === 'string' ? v : JSON.stringify(v)}${from ? `  (${from.datasetName}, ${from.batchId})` : ''}`];
    }),
    ...p.sources.map((s): [string, string] => ['source', `${s.datasetName} ${s.datasetId}  ${s.batchId}  ${s.loadedAt}`]),
    ...memberships.map((m): [string, string] => ['audience', `${m.name} ${m.audienceId}`]),
  ]);
}

export function addAudienceCommands(program: Command, version: string): void {
  const audiences = program.command('audiences').description('audiences of a running service');
  audiences
    .command('estimate')
    .description('how many profiles a rule selects now, before saving it as an audience')
    .argument('<rule>', 'the rule, e.g. \'homeAddress.city = "Seoul" and consumer.age >= 30\' (or its JSON form)')
    .option('--sample', 'also list up to 10 qualifying members')
    .option('--json', 'print the API answer as JSON')
    .action((rule: string, opts: { sample?: boolean; json?: boolean }) => estimate(rule, opts, version));

  const profiles = program.command('profiles').description('prospect profiles of a running service');
  profiles
    .command('get')
    .description('one profile: attributes with the dataset and batch each came from, its sources and audiences')
    .argument('<namespace>', 'identity namespace code, e.g. acmePartnerId')
    .argument('<identity>', 'identity value')
    .option('--json', 'print the API answer as JSON')
    .action((namespace: string, identity: string, opts: { json?: boolean }) => profile(namespace, identity, opts, version));
}
