import assert from 'node:assert/strict';
import test from 'node:test';

import { coalesce } from '../src/coalesce.js';

test('a burst of calls runs the function once, after a pause with none', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let runs = 0;
  const soon = coalesce(() => {
    runs += 1;
  }, 25);
  soon();
  t.mock.timers.tick(20);
  soon(); // a call within the pause starts it again
  t.mock.timers.tick(20);
  soon();
  assert.equal(runs, 0);
  t.mock.timers.tick(25);
  assert.equal(runs, 1);
  t.mock.timers.tick(1000);
  assert.equal(runs, 1, 'nothing more without another call');
  soon();
  t.mock.timers.tick(25);
  assert.equal(runs, 2);
});

test('cancel drops a pending run; now runs at once and drops the pending one', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let runs = 0;
  const soon = coalesce(() => {
    runs += 1;
  }, 300);
  soon();
  soon.cancel();
  t.mock.timers.tick(1000);
  assert.equal(runs, 0, 'a page that went away reloads nothing');
  soon();
  soon.now();
  assert.equal(runs, 1, 'Enter sends the search at once');
  t.mock.timers.tick(1000);
  assert.equal(runs, 1, 'and the typing pause does not send it again');
});
