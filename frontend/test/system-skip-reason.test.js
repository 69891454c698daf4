import assert from 'node:assert/strict';
import test from 'node:test';

import { REASON_MAX, REASON_MIN, reasonProblem, skipBody } from '../src/system/skip-reason.js';

test('a skip needs a reason of 3 to 500 characters; spaces around it do not count', () => {
  assert.equal(REASON_MIN, 3);
  assert.equal(REASON_MAX, 500);
  assert.match(reasonProblem(''), /Say why/);
  assert.match(reasonProblem('   \n '), /Say why/);
  assert.match(reasonProblem('ab'), /too short: at least 3 characters/);
  assert.match(reasonProblem('  ab  '), /too short/);
  assert.equal(reasonProblem('abc'), null);
  assert.equal(reasonProblem('x'.repeat(500)), null);
  assert.equal(reasonProblem(` ${'x'.repeat(500)} `), null);
  assert.equal(reasonProblem('x'.repeat(501)), 'The reason is too long: at most 500 characters (501 now).');
  assert.equal(reasonProblem(null), reasonProblem(''));
});

test('the skip sends the halt\'s position and the reason as checked', () => {
  assert.deepEqual(skipBody(12, '  the ticket was deleted by hand  '), { position: 12, reason: 'the ticket was deleted by hand' });
  assert.deepEqual(skipBody('7', 'abc'), { position: 7, reason: 'abc' });
});
