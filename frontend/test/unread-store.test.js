import assert from 'node:assert/strict';
import test from 'node:test';

import { createSeenStore } from '../src/unread.js';

function memoryStorage() {
  const data = new Map();
  return { getItem: (k) => (data.has(k) ? data.get(k) : null), setItem: (k, v) => data.set(k, String(v)), data };
}
const START = Date.parse('2026-11-28T08:00:00Z');
const at = (minutes) => new Date(START + minutes * 60000).toISOString();
const t = (id, version, minutes = 10) => ({ aggregate_id: id, version, updated_at: at(minutes) });

function store(storage = memoryStorage(), options = {}) {
  const s = createSeenStore(storage, { now: () => START, ...options });
  s.setUser('alex');
  return s;
}

test('never opened: unread if it changed after the markers started, read if older', () => {
  const s = store();
  assert.equal(s.since(), START);
  assert.equal(s.isUnread(t('new', 1, 5)), true);
  assert.equal(s.isUnread(t('old', 3, -60)), false, 'the history before the first sign-in is not flagged');
  assert.equal(s.isUnread({ aggregate_id: 'x', version: 1 }), true, 'no time known: unread');
});

test('seen at its version it is read; a later version is unread again', () => {
  const s = store();
  s.markSeen('a', 1);
  assert.equal(s.isUnread(t('a', 1)), false);
  assert.equal(s.isUnread(t('a', 2)), true);
  s.markSeen('a', 2);
  assert.equal(s.isUnread(t('a', 2)), false);
  assert.equal(s.isUnread(t('old', 2, -60)), false);
  s.markSeen('old', 1);
  assert.equal(s.isUnread(t('old', 2, -60)), true, 'once seen, versions decide');
});

test('seeing an older version never moves the marker back', () => {
  const s = store();
  s.markSeen('a', 5);
  assert.equal(s.markSeen('a', 3), false);
  assert.equal(s.seenVersion('a'), 5);
});

test('markers and their start are per user and survive a new store on the same storage', () => {
  const storage = memoryStorage();
  const s = store(storage);
  s.markSeen('a', 4);
  const later = createSeenStore(storage, { now: () => START + 3600000 });
  later.setUser('alex');
  assert.equal(later.since(), START, 'the start is kept');
  assert.equal(later.isUnread(t('a', 4)), false);
  assert.equal(later.isUnread(t('a', 5)), true);
  later.setUser('bea');
  assert.equal(later.since(), START + 3600000, 'bea starts when she first signs in');
  assert.equal(later.isUnread(t('a', 4)), false, 'it changed before bea started');
  assert.equal(later.isUnread(t('a', 5, 90)), true, 'a change after she started is unread for her');
});

test('signed out: nothing is unread and nothing is stored', () => {
  const storage = memoryStorage();
  const s = createSeenStore(storage);
  assert.equal(s.isUnread(t('a', 1)), false);
  assert.equal(s.markSeen('a', 1), false);
  assert.equal(storage.data.size, 0);
});

test('an own change keeps a read ticket read, and an unread one unread', () => {
  const s = store();
  s.markSeen('read', 3);
  s.ownChange(t('read', 3), 4);
  assert.equal(s.isUnread(t('read', 4)), false);
  s.markSeen('behind', 1);
  s.ownChange(t('behind', 3), 4); // someone else wrote versions 2 and 3: the user has not seen them
  assert.equal(s.isUnread(t('behind', 4)), true);
  s.ownChange(t('fresh', 1), 2);
  assert.equal(s.isUnread(t('fresh', 2)), true, 'never opened and new: stays unread');
  s.ownChange(t('history', 1, -60), 2);
  assert.equal(s.isUnread(t('history', 2, 20)), false, 'read by age before: the own change keeps it read');
});

test('bad input is ignored and corrupt storage starts afresh', () => {
  const storage = memoryStorage();
  storage.setItem('helpdesk.seen.alex', '{not json');
  const s = store(storage);
  assert.equal(s.since(), START);
  assert.equal(s.isUnread(t('a', 1)), true);
  assert.equal(s.markSeen('a', 'x'), false);
  assert.equal(s.markSeen('a', -1), false);
  assert.equal(s.markSeen('', 1), false);
});

test('only the most recently seen tickets are remembered', () => {
  let clock = START;
  const storage = memoryStorage();
  const s = store(storage, { max: 3, now: () => ++clock });
  for (const id of ['a', 'b', 'c', 'd']) s.markSeen(id, 1);
  assert.equal(s.seenVersion('a'), null, 'the oldest is forgotten');
  assert.equal(s.seenVersion('d'), 1);
  assert.equal(Object.keys(JSON.parse(storage.getItem('helpdesk.seen.alex')).seen).length, 3);
});

test('listeners hear when a ticket becomes read', () => {
  const s = store();
  const heard = [];
  const off = s.onSeen((id, v) => heard.push([id, v]));
  s.markSeen('a', 2);
  s.markSeen('a', 2);
  off();
  s.markSeen('a', 3);
  assert.deepEqual(heard, [['a', 2]]);
});
