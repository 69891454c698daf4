import assert from 'node:assert/strict';
import test from 'node:test';

import { openDrafts } from '../src/drafts.js';

function memoryStorage() {
  const map = new Map();
  return {
    get length() { return map.size; },
    key: (i) => [...map.keys()][i] ?? null,
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
    map,
  };
}

test('a draft is kept per user, ticket and field, and survives reopening the store (a reload)', () => {
  const storage = memoryStorage();
  const ann = openDrafts('ann', { storage });
  ann.set('t1', 'composer.body', 'Half a reply');
  ann.set('t1', 'assign.note', 'for later');
  ann.set('t2', 'composer.body', 'Another ticket');
  const again = openDrafts('ann', { storage });
  assert.equal(again.get('t1', 'composer.body'), 'Half a reply');
  assert.equal(again.get('t1', 'assign.note'), 'for later');
  assert.equal(again.get('t2', 'composer.body'), 'Another ticket');
  assert.equal(openDrafts('bob', { storage }).get('t1', 'composer.body'), '', 'another user never reads it');
  assert.equal(again.has('t1', 'assign.'), true);
  assert.equal(again.has('t1', 'escalate.'), false);
});

test('clearing or blanking a draft removes it; a sent form clears only its own fields', () => {
  const storage = memoryStorage();
  const drafts = openDrafts('ann', { storage });
  drafts.set('t1', 'composer.body', 'text');
  drafts.set('t1', 'escalate.reason', 'why');
  drafts.clear('t1', 'composer.body');
  assert.equal(drafts.get('t1', 'composer.body'), '');
  assert.equal(drafts.get('t1', 'escalate.reason'), 'why');
  drafts.set('t1', 'escalate.reason', '   ');
  assert.equal(drafts.get('t1', 'escalate.reason'), '');
  assert.equal(storage.map.size, 0);
});

test('odd ids cannot collide, and drafts older than 30 days are dropped', () => {
  const storage = memoryStorage();
  let now = Date.UTC(2026, 0, 1);
  const drafts = openDrafts('a.b', { storage, now: () => now });
  drafts.set('x.y', 'z', 'one');
  drafts.set('x', 'y.z', 'two');
  assert.equal(drafts.get('x.y', 'z'), 'one');
  assert.equal(drafts.get('x', 'y.z'), 'two');
  now += 31 * 86_400_000;
  const later = openDrafts('a.b', { storage, now: () => now });
  assert.equal(later.get('x.y', 'z'), '');
  assert.equal(storage.map.size, 0);
});

test('a corrupt stored value reads as no draft', () => {
  const storage = memoryStorage();
  const drafts = openDrafts('ann', { storage });
  drafts.set('t', 'f', 'ok');
  const key = [...storage.map.keys()][0];
  storage.setItem(key, '{not json');
  assert.equal(openDrafts('ann', { storage }).get('t', 'f'), '');
});
