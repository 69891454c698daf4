import assert from 'node:assert/strict';
import test from 'node:test';

import { agentsHint, allPeople, directoryLookup, nameStatus } from '../src/directory.js';

const NAMES = ['Ann', 'al', 'alex', 'amy', 'bea', 'bo', 'cy'];

/** GET /api/people over NAMES as the API pages it: prefix q (any case), limit, cursor = the last id. */
function directory(names = NAMES) {
  const asked = [];
  async function getPage(params) {
    asked.push(params);
    const q = (params.q || '').toLowerCase();
    const after = params.cursor ? JSON.parse(params.cursor) : null;
    const matching = names.filter((id) => id.toLowerCase().startsWith(q) && (after === null || id > after));
    const items = matching.slice(0, params.limit).map((id) => ({ id, roles: ['agent'] }));
    const more = matching.length > params.limit;
    return { items, next_cursor: more ? JSON.stringify(items[items.length - 1].id) : null };
  }
  return { getPage, asked };
}

test('a whole listing follows next_cursor to the last page, with the filters on every request', async () => {
  const { getPage, asked } = directory();
  const { items, complete } = await allPeople(getPage, { role: 'agent' }, { limit: 2 });
  assert.deepEqual(items.map((p) => p.id), NAMES);
  assert.equal(complete, true);
  assert.equal(asked.length, 4);
  assert.ok(asked.every((p) => p.role === 'agent' && p.limit === 2));
  assert.equal(asked[0].cursor, undefined);
  assert.equal(asked[1].cursor, JSON.stringify('al'));
});

test('a whole listing stops after so many pages and says it is not complete', async () => {
  const { getPage, asked } = directory();
  const { items, complete } = await allPeople(getPage, {}, { limit: 2, maxPages: 2 });
  assert.deepEqual(items.map((p) => p.id), ['Ann', 'al', 'alex', 'amy']);
  assert.equal(complete, false);
  assert.equal(asked.length, 2);
});

test('a lookup asks for the names starting with the trimmed text, after typing pauses', async () => {
  const { getPage, asked } = directory();
  const answers = [];
  const lookup = directoryLookup(getPage, { params: { role: 'agent' }, limit: 2, delay: 5, onAnswer: (a) => answers.push(a) });
  const first = lookup.lookup(' a');
  const second = lookup.lookup(' al ');
  assert.equal(await first, undefined); // replaced before it was sent
  await second;
  assert.deepEqual(asked, [{ role: 'agent', q: 'al', limit: 2 }]);
  assert.deepEqual(answers, [{ text: 'al', items: [{ id: 'al', roles: ['agent'] }, { id: 'alex', roles: ['agent'] }], more: false }]);
  await lookup.lookup('', { now: true });
  assert.equal(asked[1].q, undefined); // nothing typed: everyone, first page
  assert.equal(answers[1].more, true);
});

test('an answer that comes back after a later lookup started is dropped', async () => {
  const { getPage } = directory();
  const release = [];
  const slow = (params) => new Promise((resolve) => release.push(() => resolve(getPage(params))));
  const answers = [];
  const errors = [];
  const lookup = directoryLookup(slow, { delay: 0, onAnswer: (a) => answers.push(a.text), onError: (e) => errors.push(e) });
  const old = lookup.lookup('a');
  const latest = lookup.lookup('b');
  release[1]();
  await latest;
  release[0]();
  await old;
  assert.deepEqual(answers, ['b']);
  const failing = directoryLookup(async () => { throw new Error('down'); }, { delay: 0, onAnswer: () => {}, onError: (e) => errors.push(e.message) });
  await failing.lookup('x');
  assert.deepEqual(errors, ['down']);
});

test('a name is known when the answer for it holds it; unsure when more pages could', () => {
  const page = { items: [{ id: 'al' }, { id: 'alex' }], more: false };
  assert.equal(nameStatus('al', page), 'known');
  assert.equal(nameStatus(' alex ', page), 'known');
  assert.equal(nameStatus('Al', page), 'unknown'); // ids are exact
  assert.equal(nameStatus('alf', { items: [], more: false }), 'unknown');
  assert.equal(nameStatus('alf', { ...page, more: true }), 'unsure');
});

test('the picker says where the typed text leads, and warns only when no agent name starts with it', () => {
  const two = [{ id: 'al' }, { id: 'alex' }];
  assert.deepEqual(agentsHint({ text: '', items: two, more: false }), { text: '2 agents in the staff directory.', warn: false });
  assert.deepEqual(agentsHint({ text: '', items: two, more: true }),
    { text: 'More than 2 agents in the staff directory: type a name to narrow the list.', warn: false });
  assert.deepEqual(agentsHint({ text: 'alex', items: [{ id: 'alex' }], more: false }),
    { text: '“alex” is in the staff directory.', warn: false });
  assert.deepEqual(agentsHint({ text: 'a', items: two, more: false }), { text: '2 agents start with “a”: pick one from the list.', warn: false });
  assert.deepEqual(agentsHint({ text: 'ale', items: [{ id: 'alex' }], more: false }),
    { text: '1 agent starts with “ale”: pick one from the list.', warn: false });
  assert.deepEqual(agentsHint({ text: 'a', items: two, more: true }),
    { text: 'More than 2 agents start with “a”: pick one from the list.', warn: false });
  assert.deepEqual(agentsHint({ text: 'zed', items: [], more: false }), { text: '“zed” is not in the staff directory.', warn: true });
});
