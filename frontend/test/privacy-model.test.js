import assert from 'node:assert/strict';
import test from 'node:test';

import { isErased, personalPlain } from '../src/erased.js';
import { eraseBody, eraseProblem, eraseResultText, exportFileName, exportSummary, privacyErrorText, subjectId } from '../src/privacy/model.js';

test('erasing needs a reason of 3 to 500 characters and the user id typed again exactly', () => {
  const ok = { subject: 'ada-42', reason: 'Request by e-mail of 28 Nov', confirmation: 'ada-42' };
  assert.equal(eraseProblem(ok), null);
  assert.equal(eraseProblem({ ...ok, confirmation: '  ada-42 ' }), null, 'spaces around it do not count');
  assert.equal(eraseProblem({ ...ok, reason: '' }).field, 'reason');
  assert.match(eraseProblem({ ...ok, reason: ' ab ' }).message, /too short: at least 3/);
  assert.match(eraseProblem({ ...ok, reason: 'x'.repeat(501) }).message, /too long: at most 500 characters \(501 now\)/);
  assert.equal(eraseProblem({ ...ok, reason: 'x'.repeat(500) }), null);
  assert.equal(eraseProblem({ ...ok, confirmation: 'ADA-42' }).field, 'confirmation', 'case matters');
  assert.equal(eraseProblem({ ...ok, confirmation: 'ada-4' }).field, 'confirmation');
  assert.match(eraseProblem({ ...ok, confirmation: '' }).message, /Type the user id “ada-42” exactly/);
  assert.deepEqual(eraseBody('  why  '), { reason: 'why' });
  assert.equal(subjectId('  ada '), 'ada');
});

test('the export is summed up and named for its person and day', () => {
  const s = exportSummary({ subject: 'ada', tickets: [{}, {}], events: [{}, {}, {}], erased: false });
  assert.equal(s.text, '2 tickets and 3 events held about ada.');
  assert.match(exportSummary({ subject: 'ada', tickets: [{}], events: [{}], erased: true }).text, /^1 ticket and 1 event held about ada \(already erased/);
  assert.equal(exportFileName('ada/../x y', new Date('2026-11-28T10:00:00Z')), 'personal-data-ada_.._x_y-2026-11-28.json');
  assert.equal(eraseResultText({ subject: 'ada', tickets: 1, erased_by: 'root' }), 'The personal data of ada is erased (1 ticket). Recorded as done by root.');
  assert.match(privacyErrorText({ status: 403, code: 'forbidden' }), /Only administrators/);
});

test('an erased text is recognised and named, never shown raw', () => {
  assert.ok(isErased('[erased]'));
  assert.ok(!isErased('[erased] but more'));
  assert.ok(!isErased(null));
  assert.equal(personalPlain('[erased]', 'Ticket'), 'Erased');
  assert.equal(personalPlain('', 'Ticket'), 'Ticket');
  assert.equal(personalPlain('VPN down'), 'VPN down');
});
