/**
 * Text PostgreSQL cannot store (NUL, lone surrogates) and impossible event times are refused with a
 * 422 naming the field, on authenticated and public routes alike, and nothing is written.
 */
import { findUnstorableText } from '../src/core/text-guard';
import { eventTimeProblem } from '../src/core/event-time';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ mode: 'api' });
});
afterAll(async () => api.close());

describe('unstorable text', () => {
  it('finds NUL and lone surrogates in values and keys, with a JSON pointer', () => {
    expect(findUnstorableText({ a: ['ok', 'x\u0000y'] })).toEqual({ pointer: '/a/1', rule: 'nul_character' });
    expect(findUnstorableText({ 'k/\ud800': 1 })).toEqual({ pointer: '/k~1\ud800', rule: 'lone_surrogate' });
    expect(findUnstorableText({ emoji: '😀', korean: '한글' })).toBeNull();
  });

  it('walks 64 levels deep and refuses deeper documents instead of passing them unchecked', () => {
    const nested = (levels: number, leaf: unknown): unknown => (levels === 0 ? leaf : { a: nested(levels - 1, leaf) });
    expect(findUnstorableText(nested(63, 'x\u0000'))).toEqual({ pointer: '/a'.repeat(63), rule: 'nul_character' });
    expect(findUnstorableText(nested(64, {}))).toEqual({ pointer: '/a'.repeat(64), rule: 'max_depth' });
    expect(findUnstorableText(nested(70, 'clean'))).toEqual({ pointer: '/a'.repeat(64), rule: 'max_depth' });
    const tower = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`); // no recursion: no stack overflow
    expect(findUnstorableText({ list: tower })).toEqual({ pointer: `/list${'/0'.repeat(63)}`, rule: 'max_depth' });
    expect(findUnstorableText({ p: [[{ q: 'ok' }]] }, '/properties', 3)).toEqual({ pointer: '/properties/p/0/0', rule: 'max_depth' });
    expect(findUnstorableText({ p: [[{ q: 'ok' }]] }, '/properties', 4)).toBeNull();
  });

  it('refuses a NUL in a name with 422 and creates nothing', async () => {
    const marketer = await api.keyFor('marketer');
    const res = await api.as(marketer).post('/v1/campaigns', { name: 'Winter\u0000sale', type: 'DISPLAY' });
    const problem = expectProblem(res, 422);
    expect(problem.errors[0]).toMatchObject({ pointer: '/name', rule: 'nul_character' });
    expect((await api.as(marketer).get('/v1/campaigns').expect(200)).body.items).toHaveLength(0);
  });

  it('refuses unstorable text on the public collection endpoint and in query strings', async () => {
    const marketer = await api.keyFor('marketer');
    const tracker = (await api.as(marketer).post('/v1/trackers', { name: 'Shop pixel' }).expect(201)).body;
    const res = await api.as('').post(`/v1/collect/${tracker.trackId}`, { event: 'pageView', cookieId: 'c1', properties: { note: 'a\u0000b' } });
    expect(expectProblem(res, 422).errors[0]).toMatchObject({ pointer: '/properties/note', rule: 'nul_character' });
    const lone = await api.as('').post(`/v1/collect/${tracker.trackId}`).set('Content-Type', 'application/json').send('{"event":"pageView","cookieId":"\\ud800"}');
    expect(expectProblem(lone, 422).errors[0]).toMatchObject({ pointer: '/cookieId', rule: 'lone_surrogate' });
    const query = await api.as(marketer).get('/v1/targets').query({ kind: 'a\u0000' });
    expect(expectProblem(query, 422).errors[0]).toMatchObject({ pointer: '/query/kind' });
    const events = (await api.as(marketer).get(`/v1/trackers/${tracker.trackId}/events`).expect(200)).body;
    expect(JSON.stringify(events)).not.toContain('pageView');
  });

  it('refuses event times PostgreSQL or the windows cannot use', async () => {
    const now = new Date('2026-11-23T00:00:00Z');
    expect(eventTimeProblem(new Date('2016-12-31T23:59:60Z'), now)?.rule).toBe('format');
    expect(eventTimeProblem(new Date('0000-01-01T00:00:00Z'), now)?.rule).toBe('too_old');
    expect(eventTimeProblem(new Date('2026-11-23T00:10:00Z'), now)?.rule).toBe('not_future');
    expect(eventTimeProblem(new Date('2026-11-22T23:00:00Z'), now)).toBeNull();
    const marketer = await api.keyFor('marketer');
    const tracker = (await api.as(marketer).post('/v1/trackers', { name: 'Old pixel' }).expect(201)).body;
    const res = await api.as('').post(`/v1/collect/${tracker.trackId}`, { event: 'pageView', cookieId: 'c1', occurredAt: '0000-01-01T00:00:00Z' });
    expect(expectProblem(res, 422).errors[0]).toMatchObject({ pointer: '/occurredAt', rule: 'too_old' });
  });
});
