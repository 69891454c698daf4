import assert from 'node:assert/strict';
import test from 'node:test';

import { activeFilterCount, foldLabel, isFolded, NARROW_PX } from '../src/queue/fold.js';

test('folded on narrow screens, open on wide ones, unless the person chose', () => {
  assert.equal(isFolded({ width: 390 }), true);
  assert.equal(isFolded({ width: NARROW_PX }), true);
  assert.equal(isFolded({ width: NARROW_PX + 1 }), false);
  assert.equal(isFolded({ width: 390, choice: false }), false);
  assert.equal(isFolded({ width: 1280, choice: true }), true);
});

test('the button counts the folded filters that are set', () => {
  assert.equal(activeFilterCount({}), 0);
  assert.equal(activeFilterCount({ sort: '-created', q: 'printer' }), 0, 'default sort and search do not count');
  assert.equal(activeFilterCount({ place: 'new', assignee: 'me', priority: 'high', sort: 'updated' }), 4);
  assert.equal(foldLabel({}), 'Filters');
  assert.equal(foldLabel({ place: 'new', priority: 'high' }), 'Filters (2)');
});
