import { CORE_POLICIES, EXPORT_ACTIONS, TARGETING_ACTIONS } from '../src/governance/core-policies';
import { DenyExpression, EvaluablePolicy, evaluatePolicies, expandLabels, labelsOf, matchDeny, PolicyStatus } from '../src/governance/engine';
import { CORE_LABELS, CORE_MARKETING_ACTIONS, LABEL_IMPLICATIONS } from '../src/governance/labels';

interface P extends EvaluablePolicy {
  id: string;
}

const policy = (id: string, marketingActions: string[], deny: DenyExpression, status: PolicyStatus = 'ENABLED'): P => ({
  id,
  status,
  marketingActions,
  deny,
});

const L = (label: string): DenyExpression => ({ label });
const AND = (...operands: DenyExpression[]): DenyExpression => ({ operator: 'AND', operands });
const OR = (...operands: DenyExpression[]): DenyExpression => ({ operator: 'OR', operands });

describe('governance engine: evaluatePolicies', () => {
  it('fires a single-label policy for a requested action and reports what matched', () => {
    const p = policy('p1', ['exportToThirdParty'], L('C2'));
    const [v, ...rest] = evaluatePolicies([p], ['exportToThirdParty'], ['C2', 'I1']);
    expect(rest).toEqual([]);
    expect(v.policy).toBe(p);
    expect(v.marketingActions).toEqual(['exportToThirdParty']);
    expect(v.matched).toEqual({ label: 'C2' });
    expect(v.labels).toEqual(['C2']);
    expect(v.impliedBy).toEqual({});
  });

  it('does not fire when the label is absent', () => {
    expect(evaluatePolicies([policy('p', ['exportToThirdParty'], L('C2'))], ['exportToThirdParty'], ['C1', 'I1'])).toEqual([]);
  });

  it('fires AND only when all labels are present together', () => {
    const p = policy('p', ['crossSiteTargeting'], AND(L('C1'), L('I1')));
    expect(evaluatePolicies([p], ['crossSiteTargeting'], ['C1'])).toEqual([]);
    expect(evaluatePolicies([p], ['crossSiteTargeting'], ['I1'])).toEqual([]);
    const [v] = evaluatePolicies([p], ['crossSiteTargeting'], ['I1', 'C1', 'S1']);
    expect(v.matched).toEqual(AND(L('C1'), L('I1')));
    expect(v.labels).toEqual(['C1', 'I1']);
  });

  it('fires OR on any operand and keeps only the operands that matched', () => {
    const p = policy('p', ['analytics'], OR(L('C8'), L('S1'), L('RHD')));
    expect(evaluatePolicies([p], ['analytics'], ['C9'])).toEqual([]);
    const [one] = evaluatePolicies([p], ['analytics'], ['S1']);
    expect(one.matched).toEqual(OR(L('S1')));
    expect(one.labels).toEqual(['S1']);
    const [two] = evaluatePolicies([p], ['analytics'], ['RHD', 'C8']);
    expect(two.matched).toEqual(OR(L('C8'), L('RHD')));
    expect(two.labels).toEqual(['C8', 'RHD']);
  });

  it('handles AND nested in OR', () => {
    const p = policy('p', ['emailTargeting'], OR(AND(L('C1'), L('I1')), AND(L('S1'), L('I2')), L('C3')));
    expect(evaluatePolicies([p], ['emailTargeting'], ['C1', 'I2'])).toEqual([]);
    const [v] = evaluatePolicies([p], ['emailTargeting'], ['C1', 'I1', 'S1']);
    expect(v.matched).toEqual(OR(AND(L('C1'), L('I1'))));
    const [w] = evaluatePolicies([p], ['emailTargeting'], ['C1', 'I1', 'S1', 'I2', 'C3']);
    expect(w.matched).toEqual(OR(AND(L('C1'), L('I1')), AND(L('S1'), L('I2')), L('C3')));
    expect(w.labels).toEqual(['C1', 'C3', 'I1', 'I2', 'S1']);
  });

  it('handles OR nested in AND, reducing each operand to its matched form', () => {
    const p = policy('p', ['onsitePersonalization'], AND(L('THIRD_PARTY'), OR(L('I1'), L('I2'))));
    expect(evaluatePolicies([p], ['onsitePersonalization'], ['THIRD_PARTY'])).toEqual([]);
    expect(evaluatePolicies([p], ['onsitePersonalization'], ['I1', 'I2'])).toEqual([]);
    const [v] = evaluatePolicies([p], ['onsitePersonalization'], ['THIRD_PARTY', 'I2']);
    expect(v.matched).toEqual(AND(L('THIRD_PARTY'), OR(L('I2'))));
    expect(v.labels).toEqual(['I2', 'THIRD_PARTY']);
  });

  it('ignores DRAFT and DISABLED policies', () => {
    const deny = L('C2');
    const policies = [policy('draft', ['exportToThirdParty'], deny, 'DRAFT'), policy('off', ['exportToThirdParty'], deny, 'DISABLED')];
    expect(evaluatePolicies(policies, ['exportToThirdParty'], ['C2'])).toEqual([]);
  });

  it('ignores policies whose marketing actions were not requested, and reports only the requested ones', () => {
    const p = policy('p', ['exportToThirdParty', 'segmentMatch'], L('C12'));
    expect(evaluatePolicies([p], ['analytics', 'emailTargeting'], ['C12'])).toEqual([]);
    const [v] = evaluatePolicies([p], ['analytics', 'segmentMatch'], ['C12']);
    expect(v.marketingActions).toEqual(['segmentMatch']);
    expect(evaluatePolicies([p], [], ['C12'])).toEqual([]);
  });

  it('matches labels and marketing actions case-sensitively', () => {
    const p = policy('p', ['exportToThirdParty'], L('C2'));
    expect(evaluatePolicies([p], ['exportToThirdParty'], ['c2'])).toEqual([]);
    expect(evaluatePolicies([p], ['exporttothirdparty'], ['C2'])).toEqual([]);
    const custom = policy('q', ['analytics'], L('Partner-A'));
    expect(evaluatePolicies([custom], ['analytics'], ['partner-a'])).toEqual([]);
    expect(evaluatePolicies([custom], ['analytics'], ['Partner-A'])).toHaveLength(1);
  });

  it('applies the C4 implication: a policy on C5, C6 or C7 fires for data labelled C4, and says so', () => {
    const onC5 = policy('c5', ['crossSiteTargeting'], L('C5'));
    const onC7 = policy('c7', ['onsitePersonalization'], AND(L('C7'), L('I1')));
    const found = evaluatePolicies([onC5, onC7], ['crossSiteTargeting', 'onsitePersonalization'], ['C4', 'I1']);
    expect(found.map((v) => v.policy.id)).toEqual(['c5', 'c7']);
    expect(found[0].matched).toEqual(L('C5'));
    expect(found[0].impliedBy).toEqual({ C5: ['C4'] });
    expect(found[1].matched).toEqual(AND(L('C7'), L('I1')));
    expect(found[1].impliedBy).toEqual({ C7: ['C4'] });
  });

  it('does not apply implications backwards (C5 does not imply C4), and a direct label needs no implication', () => {
    const onC4 = policy('c4', ['crossSiteTargeting'], L('C4'));
    expect(evaluatePolicies([onC4], ['crossSiteTargeting'], ['C5', 'C6', 'C7'])).toEqual([]);
    const onC5 = policy('c5', ['crossSiteTargeting'], L('C5'));
    const [v] = evaluatePolicies([onC5], ['crossSiteTargeting'], ['C4', 'C5']);
    expect(v.impliedBy).toEqual({});
  });

  it('fires nothing for an empty label set', () => {
    const policies = [policy('a', ['analytics'], L('C8')), policy('b', ['analytics'], OR(L('C8'), AND(L('I1'), L('S1'))))];
    expect(evaluatePolicies(policies, ['analytics'], [])).toEqual([]);
  });

  it('returns every violated policy, in the order given', () => {
    const policies = [
      policy('export', ['exportToThirdParty'], L('C2')),
      policy('email', ['emailTargeting'], L('THIRD_PARTY')),
      policy('science', ['dataScience'], L('C9')),
      policy('both', ['exportToThirdParty', 'emailTargeting'], AND(L('C2'), L('THIRD_PARTY'))),
      policy('off', ['exportToThirdParty'], L('C2'), 'DISABLED'),
    ];
    const found = evaluatePolicies(policies, ['exportToThirdParty', 'emailTargeting'], ['C2', 'THIRD_PARTY', 'C9']);
    expect(found.map((v) => v.policy.id)).toEqual(['export', 'email', 'both']);
    expect(found[2].marketingActions).toEqual(['exportToThirdParty', 'emailTargeting']);
  });

  it('accepts any iterable of labels and follows implications transitively when given a custom table', () => {
    const p = policy('p', ['analytics'], L('C'));
    const found = evaluatePolicies([p], ['analytics'], new Set(['A']), { A: ['B'], B: ['C'] });
    expect(found).toHaveLength(1);
    expect(found[0].impliedBy).toEqual({ C: ['A'] });
  });
});

describe('governance engine: helpers', () => {
  it('expands labels with their origins', () => {
    const m = expandLabels(['C4', 'C6', 'I1']);
    expect(Object.fromEntries(m)).toEqual({ C4: ['C4'], C5: ['C4'], C6: ['C6'], C7: ['C4'], I1: ['I1'] });
  });

  it('matchDeny returns null for an empty AND/OR', () => {
    expect(matchDeny({ operator: 'AND', operands: [] }, new Set(['C1']))).toBeNull();
    expect(matchDeny({ operator: 'OR', operands: [] }, new Set(['C1']))).toBeNull();
  });

  it('labelsOf lists each label once', () => {
    expect(labelsOf(OR(L('C1'), AND(L('C1'), L('I1')), L('S1')))).toEqual(['C1', 'I1', 'S1']);
  });
});

describe('governance catalogs', () => {
  it('has every core label of the anchors, with THIRD_PARTY in the partner ecosystem', () => {
    const codes = CORE_LABELS.map((l) => l.code);
    const expected = [...Array.from({ length: 12 }, (_, i) => `C${i + 1}`), 'I1', 'I2', 'S1', 'S2', 'PSPD', 'RHD', 'THIRD_PARTY'];
    expect(codes).toEqual(expected);
    expect(CORE_LABELS.find((l) => l.code === 'THIRD_PARTY')).toMatchObject({ category: 'Partner ecosystem', friendlyName: 'Third-Party' });
    expect(LABEL_IMPLICATIONS).toEqual({ C4: ['C5', 'C6', 'C7'] });
  });

  it('has the ten core marketing actions, and core policies only name them and core labels', () => {
    const names = CORE_MARKETING_ACTIONS.map((a) => a.name);
    expect(names).toHaveLength(10);
    expect(CORE_MARKETING_ACTIONS.find((a) => a.name === 'combineData')?.displayName).toBe('Combine with directly identifiable data');
    for (const p of CORE_POLICIES) {
      for (const a of p.marketingActions) expect(names).toContain(a);
      for (const l of labelsOf(p.deny)) expect(CORE_LABELS.map((c) => c.code)).toContain(l);
    }
    expect(TARGETING_ACTIONS).toEqual(expect.arrayContaining(['crossSiteTargeting', 'emailTargeting', 'onsiteAdvertising', 'onsitePersonalization', 'singleIdentityPersonalization', 'segmentMatch']));
    expect(EXPORT_ACTIONS).toEqual(['exportToThirdParty', 'segmentMatch']);
  });

  it('core policies: C4 policy fires for targeting but not analytics; Third-Party one is disabled by default', () => {
    const policies = CORE_POLICIES.map((p) => ({ ...p, status: p.status }));
    expect(evaluatePolicies(policies, ['analytics'], ['C4', 'C2', 'C12'])).toEqual([]);
    expect(evaluatePolicies(policies, ['emailTargeting'], ['C4']).map((v) => v.policy.coreKey)).toEqual(['C4_TARGETING']);
    expect(evaluatePolicies(policies, ['emailTargeting'], ['THIRD_PARTY'])).toEqual([]);
    expect(evaluatePolicies(policies, ['segmentMatch'], ['C12', 'C4']).map((v) => v.policy.coreKey)).toEqual(['C4_TARGETING', 'C12_ANY_EXPORT']);
  });
});
