import assert from 'node:assert/strict';
import test from 'node:test';

import { openDrafts } from '../src/drafts.js';
import { createSubmission } from '../src/submission.js';

function counter() {
  let n = 0;
  return () => `key-${(n += 1)}`;
}

const refusal = Object.assign(new Error('Not in a state that allows it'), { status: 409, code: 'transition_not_enabled' });

test('the same text sent again after a refusal goes with the same key; a changed or a sent text gets a new one', async () => {
  const keys = [];
  let refuse = true;
  const submission = createSubmission({
    newKey: counter(),
    send: async (key) => {
      keys.push(key);
      if (refuse) throw refusal;
      return { place: 'assigned' };
    },
  });
  assert.equal((await submission.run()).status, 'refused');
  assert.equal((await submission.run()).status, 'refused');
  assert.deepEqual(keys, ['key-1', 'key-1'], 'a retry of the same text is the same request');
  submission.changed();
  refuse = false;
  const sent = await submission.run();
  assert.deepEqual(sent, { status: 'sent', answer: { place: 'assigned' } });
  assert.equal(keys[2], 'key-2');
  assert.equal(submission.key(), 'key-3', 'the next text is a new request');
});

test('a check stops the send and says why; the first problem in order wins', async () => {
  let sends = 0;
  let started = 0;
  let text = '';
  const submission = createSubmission({
    newKey: counter(),
    checks: [
      () => (text.trim() ? null : { message: 'Write something before sending.' }),
      () => (text.length > 5 ? { message: 'Too long' } : null),
    ],
    send: async () => {
      sends += 1;
    },
  });
  const onStart = () => {
    started += 1;
  };
  assert.deepEqual(await submission.run({ onStart }), { status: 'stopped', problem: { message: 'Write something before sending.' } });
  text = 'far too long';
  assert.equal((await submission.run({ onStart })).problem.message, 'Too long');
  assert.equal(sends, 0);
  assert.equal(started, 0, 'a stopped form never shows itself busy');
  text = 'ok';
  assert.equal((await submission.run({ onStart })).status, 'sent');
  assert.equal(sends, 1);
  assert.equal(started, 1);
});

test('while one send is in flight a second submit (a double Ctrl+Enter) sends nothing', async () => {
  let open;
  const gate = new Promise((resolve) => {
    open = resolve;
  });
  let sends = 0;
  const submission = createSubmission({
    newKey: counter(),
    send: () => {
      sends += 1;
      return gate;
    },
  });
  const first = submission.run();
  assert.equal(submission.busy(), true);
  const second = submission.run();
  open({ ok: true });
  assert.deepEqual(await second, { status: 'busy' });
  assert.equal((await first).status, 'sent');
  assert.equal(submission.busy(), false);
  assert.equal(sends, 1);
});

test('the draft is cleared once the answer came, and kept when the send was refused or stopped', async () => {
  const drafts = openDrafts('ann'); // no localStorage in Node: the store's in-memory fallback
  const drafted = { clear: () => drafts.clear('t1', 'composer.body') };
  let refuse = true;
  let blank = true;
  const submission = createSubmission({
    newKey: counter(),
    checks: [() => (blank ? { message: 'Write something before sending.' } : null)],
    send: async () => {
      if (refuse) throw refusal;
      return {};
    },
    drafted,
  });
  drafts.set('t1', 'composer.body', 'Half a reply');
  await submission.run();
  assert.equal(drafts.get('t1', 'composer.body'), 'Half a reply', 'stopped: kept');
  blank = false;
  const refused = await submission.run();
  assert.equal(refused.error, refusal);
  assert.equal(drafts.get('t1', 'composer.body'), 'Half a reply', 'refused: kept');
  refuse = false;
  await submission.run();
  assert.equal(drafts.get('t1', 'composer.body'), '', 'sent: cleared');
});
