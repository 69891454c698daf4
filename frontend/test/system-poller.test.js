import assert from 'node:assert/strict';
import test from 'node:test';

import { createPoller } from '../src/system/poller.js';

/** Timers run by hand, and a document whose visibility the test sets. */
function fakes() {
  const pending = new Map();
  let next = 1;
  const timers = {
    setTimeout: (fn, ms) => {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimeout: (id) => pending.delete(id),
  };
  const doc = new EventTarget();
  doc.visibilityState = 'visible';
  const show = (state) => {
    doc.visibilityState = state;
    doc.dispatchEvent(new Event('visibilitychange'));
  };
  const fire = async () => {
    const [[id, { fn }]] = [...pending];
    pending.delete(id);
    fn();
    await settle();
  };
  return { timers, doc, show, fire, pending };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('polls at once, then every interval after each answer; errors are told and polling goes on', async () => {
  const { timers, doc, fire, pending } = fakes();
  const seen = [];
  let n = 0;
  const poller = createPoller({
    load: async () => {
      n += 1;
      if (n === 2) throw Object.assign(new Error('down'), { status: 0 });
      return n;
    },
    onData: (d) => seen.push(['data', d]),
    onError: (e) => seen.push(['error', e.message]),
    intervalMs: 2000,
    visibility: doc,
    timers,
  });
  poller.start();
  await settle();
  assert.deepEqual(seen, [['data', 1]]);
  assert.deepEqual([...pending.values()].map((t) => t.ms), [2000], 'one poll planned, 2 s after the answer');
  await fire();
  await fire();
  assert.deepEqual(seen, [['data', 1], ['error', 'down'], ['data', 3]]);
  assert.equal(pending.size, 1, 'never more than one poll planned');
  poller.stop();
});

test('no polls while the tab is hidden; one at once when it shows again', async () => {
  const { timers, doc, show, fire, pending } = fakes();
  let loads = 0;
  const poller = createPoller({ load: async () => (loads += 1), visibility: doc, timers });
  poller.start();
  await settle();
  assert.equal(loads, 1);
  show('hidden');
  assert.equal(pending.size, 0, 'the planned poll is dropped');
  assert.equal(poller.running(), false);
  show('visible');
  await settle();
  assert.equal(loads, 2, 'polled as soon as it is visible');
  assert.equal(pending.size, 1);
  await fire();
  assert.equal(loads, 3);
  poller.stop();
});

test('stop() ends polling: the request on its way is aborted and its answer dropped', async () => {
  const { timers, doc, show, pending } = fakes();
  let release;
  let signal;
  const seen = [];
  const poller = createPoller({
    load: (s) => {
      signal = s;
      return new Promise((resolve) => {
        release = resolve;
      });
    },
    onData: (d) => seen.push(d),
    visibility: doc,
    timers,
  });
  poller.start();
  poller.stop();
  assert.equal(signal.aborted, true);
  release('late');
  await settle();
  assert.deepEqual(seen, []);
  assert.equal(pending.size, 0);
  show('hidden');
  show('visible');
  await settle();
  assert.equal(pending.size, 0, 'a stopped poller does not wake up with the tab');
  poller.refresh();
  assert.equal(pending.size, 0);
});

test('refresh() during a request polls once more right after it, never two at a time', async () => {
  const { timers, doc, pending } = fakes();
  let inFlight = 0;
  let most = 0;
  let loads = 0;
  const releases = [];
  const poller = createPoller({
    load: () => {
      loads += 1;
      inFlight += 1;
      most = Math.max(most, inFlight);
      return new Promise((resolve) => releases.push(() => {
        inFlight -= 1;
        resolve(loads);
      }));
    },
    visibility: doc,
    timers,
  });
  poller.start();
  poller.refresh();
  poller.refresh();
  assert.equal(loads, 1);
  releases.shift()();
  await settle();
  assert.equal(loads, 2, 'the refresh asked meanwhile');
  releases.shift()();
  await settle();
  assert.equal(most, 1);
  assert.equal(pending.size, 1);
  poller.stop();
});
