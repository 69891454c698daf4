import assert from 'node:assert/strict';
import test from 'node:test';

import { createSeenStore } from '../src/unread.js';

function memoryStorage() {
  const data = new Map();
  return { getItem: (k) => (data.has(k) ? data.get(k) : null), setItem: (k, v) => data.set(k, String(v)), data };
}
const t = (id, version) => ({ aggregate_id: id, version });

test('a ticket never opened is unread; seen at its version it is read; a later version is unread again', () => {
  const store = createSeenStore(memoryStorage());
  store.setUser('alex');
  assert.equal(store.isUnread(t('a', 1)), true);
  store.markSeen('a', 1);
  assert.equal(store.isUnread(t('a', 1)), false);
  assert.equal(store.isUnread(t('a', 2)), true);
  store.markSeen('a', 2);
  assert.equal(store.isUnread(t('a', 2)), false);
});

test('seeing an older version never moves the marker back', () => {
  const store = createSeenStore(memoryStorage());
  store.setUser('alex');
  store.markSeen('a', 5);
  assert.equal(store.markSeen('a', 3), false);
  assert.equal(store.seenVersion('a'), 5);
});

test('markers are per user and survive a new store on the same storage', () => {
  const storage = memoryStorage();
  const store = createSeenStore(storage);
  store.setUser('alex');
  store.markSeen('a', 4);
  store.setUser('bea');
  assert.equal(store.isUnread(t('a', 4)), true, 'bea has not seen it');
  const again = createSeenStore(storage);
  again.setUser('alex');
  assert.equal(again.isUnread(t('a', 4)), false);
  assert.equal(again.isUnread(t('a', 5)), true);
});

test('signed out: nothing is unread and nothing is stored', () => {
  const storage = memoryStorage();
  const store = createSeenStore(storage);
  assert.equal(store.isUnread(t('a', 1)), false);
  assert.equal(store.markSeen('a', 1), false);
  assert.equal(storage.data.size, 0);
});

test('an own change keeps a read ticket read, and an unread one unread', () => {
  const store = createSeenStore(memoryStorage());
  store.setUser('alex');
  store.markSeen('read', 3);
  store.ownChange('read', 3, 4);
  assert.equal(store.isUnread(t('read', 4)), false);
  store.markSeen('behind', 1);
  store.ownChange('behind', 3, 4); // someone else wrote versions 2 and 3: the user has not seen them
  assert.equal(store.isUnread(t('behind', 4)), true);
  store.ownChange('never', 1, 2);
  assert.equal(store.isUnread(t('never', 2)), true);
});

test('bad input is ignored and corrupt storage starts empty', () => {
  const storage = memoryStorage();
  storage.setItem('helpdesk.seen.alex', '{not json');
  const store = createSeenStore(storage);
  store.setUser('alex');
  assert.equal(store.isUnread(t('a', 1)), true);
  assert.equal(store.markSeen('a', 'x'), false);
  assert.equal(store.markSeen('a', -1), false);
  assert.equal(store.markSeen('', 1), false);
});

test('only the most recently seen tickets are remembered', () => {
  let clock = 0;
  const storage = memoryStorage();
  const store = createSeenStore(storage, { max: 3, now: () => ++clock });
  store.setUser('alex');
  for (const id of ['a', 'b', 'c', 'd']) store.markSeen(id, 1);
  assert.equal(store.seenVersion('a'), null, 'the oldest is forgotten');
  assert.equal(store.seenVersion('d'), 1);
  assert.equal(Object.keys(JSON.parse(storage.getItem('helpdesk.seen.alex'))).length, 3);
});

test('listeners hear when a ticket becomes read', () => {
  const store = createSeenStore(memoryStorage());
  store.setUser('alex');
  const heard = [];
  const off = store.onSeen((id, v) => heard.push([id, v]));
  store.markSeen('a', 2);
  store.markSeen('a', 2);
  off();
  store.markSeen('a', 3);
  assert.deepEqual(heard, [['a', 2]]);
});
