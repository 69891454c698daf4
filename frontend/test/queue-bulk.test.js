import assert from 'node:assert/strict';
import test from 'node:test';

import { refusalReason, runBulk } from '../src/queue/bulk.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('never more than the limit in flight, and every item runs once', async () => {
  let running = 0;
  let peak = 0;
  const seen = [];
  const results = await runBulk([1, 2, 3, 4, 5, 6, 7], async (n) => {
    running += 1;
    peak = Math.max(peak, running);
    seen.push(n);
    await tick();
    await tick();
    running -= 1;
    return n * 10;
  }, { concurrency: 3 });
  assert.equal(peak, 3);
  assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(results.map((r) => r.value), [10, 20, 30, 40, 50, 60, 70]);
});

test('one refusal does not stop the others; results keep the items order', async () => {
  const progress = [];
  const results = await runBulk(['a', 'b', 'c'], async (x) => {
    await tick();
    if (x === 'b') throw Object.assign(new Error('no'), { code: 'transition_not_enabled' });
    return x.toUpperCase();
  }, { concurrency: 2, onResult: (r, i) => progress.push([i, r.ok]) });
  assert.deepEqual(results.map((r) => [r.item, r.ok]), [['a', true], ['b', false], ['c', true]]);
  assert.equal(results[1].error.code, 'transition_not_enabled');
  assert.deepEqual(progress.map(([i]) => i).sort(), [0, 1, 2]);
});

test('a concurrency of 1 runs strictly one after another', async () => {
  const order = [];
  await runBulk([1, 2, 3], async (n) => {
    order.push(`start ${n}`);
    await tick();
    order.push(`end ${n}`);
  }, { concurrency: 1 });
  assert.deepEqual(order, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
});

test('nothing to do resolves at once', async () => {
  assert.deepEqual(await runBulk([], async () => 1), []);
});

test('refusals read as plain reasons', () => {
  const notEnabled = { code: 'transition_not_enabled', message: "transition 'close' is not enabled: the ticket is in 'in_progress'" };
  assert.equal(refusalReason(notEnabled, { place: 'new' }), 'Not in a state that allows it: it is in progress.');
  assert.equal(refusalReason({ code: 'transition_not_enabled', message: 'x' }, { place: 'assigned' }),
    'Not in a state that allows it: it is assigned.');
  assert.match(refusalReason({ code: 'version_conflict', message: 'x' }), /changed it since/);
  assert.match(refusalReason({ code: 'unknown_assignee', message: 'x' }), /not a known staff member/);
  assert.equal(refusalReason({ code: 'unknown_assignee', message: 'x' }, {}, { assignee: 'zed' }), 'zed is not a known staff member.');
  assert.equal(refusalReason({ code: 'something_else', message: 'The server said so.' }), 'The server said so.');
});
