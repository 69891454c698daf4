import assert from 'node:assert/strict';
import test from 'node:test';

import {
  CUSTOMER_STATUS, actionWords, customerHistoryLine, customerStatus, errorDetail, errorText, messageLabel,
  replyCount, staffEventLabel, statusLabel, validationText,
} from '../src/words.js';

const PLACES = ['new', 'assigned', 'in_progress', 'escalated', 'pending_customer', 'resolved', 'closed'];
const RAW_EVENTS = ['Created', 'Assigned', 'StartWorked', 'Escalateed', 'RequestInfoed', 'CustomerReplyed', 'Resolveed',
  'ResolveEscalated', 'Closeed', 'Reopened', 'ReplyAdded'];
const ENGINEERING = /Place|Version|fired|Escalateed|RequestInfoed|Resolveed|Closeed|CustomerReplyed|StartWorked|_/;

test('every place has a status and a next step in a customer\'s words', () => {
  assert.deepEqual(Object.keys(CUSTOMER_STATUS).sort(), [...PLACES].sort());
  assert.equal(customerStatus('new').label, 'Received');
  assert.match(customerStatus('new').next, /assign it soon/);
  assert.equal(customerStatus('pending_customer').label, 'Waiting for your reply');
  for (const place of PLACES) {
    const { label, next } = customerStatus(place);
    assert.doesNotMatch(`${label} ${next}`, ENGINEERING, place);
    assert.ok(next.length > 0, place);
  }
  assert.equal(statusLabel('pending_customer', true), 'Pending customer');
  assert.equal(statusLabel('pending_customer', false), 'Waiting for your reply');
  assert.equal(customerStatus('someday').label, 'Someday');
});

test('a customer\'s history has no raw event or transition names, and hides what is not for customers', () => {
  for (const type of RAW_EVENTS) {
    for (const actor of ['cus', 'bob']) {
      const line = customerHistoryLine({ type, actor, data: {} }, 'cus', 'cus');
      assert.ok(line, `${type} by ${actor}`);
      assert.doesNotMatch(line, ENGINEERING, `${type}: ${line}`);
    }
  }
  assert.equal(customerHistoryLine({ type: 'Created', actor: 'cus' }, 'cus', 'cus'), 'You opened the ticket');
  assert.equal(customerHistoryLine({ type: 'StartWorked', actor: 'bob' }, 'cus', 'cus'), 'An agent started working on it');
  assert.equal(customerHistoryLine({ type: 'InternalNoteAdded', actor: 'bob' }, 'cus', 'cus'), null);
  assert.equal(customerHistoryLine({ type: 'SomethingNew', actor: 'bob' }, 'cus', 'cus'), null);
});

test('staff labels are humanized transition names, never raw event types', () => {
  assert.equal(staffEventLabel({ type: 'Escalateed', transition: 'escalate' }), 'Escalate');
  assert.equal(staffEventLabel({ type: 'RequestInfoed' }), 'Request info');
  assert.equal(staffEventLabel({ type: 'Closeed' }), 'Close');
  assert.equal(staffEventLabel({ type: 'InternalNoteAdded' }), 'Internal note');
  assert.equal(staffEventLabel({ type: 'ReplyAdded' }), 'Reply');
  assert.equal(staffEventLabel({ type: 'Created' }), 'Opened');
  for (const type of RAW_EVENTS) assert.doesNotMatch(staffEventLabel({ type }), /eed|Added|[a-z][A-Z]/, type);
});

test('customer action labels and message labels speak to the customer', () => {
  assert.equal(actionWords('customer_reply', false).label, 'Send the information');
  assert.equal(actionWords('customer_reply', true, 'Customer provides requested information').label, 'Customer reply');
  assert.equal(actionWords('escalate', false, 'Escalate to senior support').hint, '', 'no agent hints for customers');
  assert.equal(messageLabel('request_info', false), 'asked you for information');
  assert.equal(messageLabel('note', true), 'Internal note');
  assert.equal(messageLabel('escalation', true), 'Internal note · reason for escalating');
  assert.equal(messageLabel('assign', true), 'Internal note · with Assign');
});

test('refusals in plain language: no "Refused.", field errors named and counted', () => {
  const tooLong = { status: 422, code: 'invalid_request', field: 'data.note', message: 'data.note: String should have at most 2000 characters' };
  assert.equal(errorText(tooLong), 'Note is too long: at most 2,000 characters.');
  const items = { status: 422, code: 'invalid_request', field: 'data.note', message: 'data.note: Value should have at most 2000 items after validation, not 2100' };
  assert.equal(errorText(items), 'Note is too long: at most 2,000 characters.');
  assert.equal(validationText('body', 'String should have at least 1 character'), 'Your text cannot be empty.');
  assert.equal(validationText('data.priority', "Input should be 'low', 'normal', 'high' or 'urgent'"), 'Priority should be low, normal, high or urgent.');
  const unknown = { status: 422, code: 'unknown_assignee', field: 'data.assignee', message: "no staff member 'bobb' is known: pick someone from the staff directory (GET /api/people)" };
  assert.equal(errorText(unknown), '“bobb” is not a known member of staff. Pick an agent from the list.');
  assert.match(errorText({ status: 409, code: 'ticket_closed', message: "ticket 'x' is closed" }), /closed\. Reopen it/);
  assert.match(errorText({ status: 409, code: 'version_conflict', message: 'expected the ticket at version 3' }), /Your text is kept/);
  assert.match(errorText({ status: 0, code: 'network_error', message: '' }), /cannot be reached/);
  assert.match(errorText({ status: 500, code: 'internal', message: 'Traceback…' }), /on our side/);
  for (const err of [tooLong, unknown, { status: 409, code: 'version_conflict', message: 'expected the ticket at version 3; reload' }]) {
    const text = errorText(err);
    assert.doesNotMatch(text, /Refused|request|code|version \d|GET \/api/i, text);
  }
  assert.equal(errorDetail({ status: 422, code: 'unknown_assignee', requestId: 'r-1', message: 'm' }), 'code unknown_assignee · HTTP 422 · request r-1 · m');
});

test('a new ticket says "No replies yet", never "0 messages"', () => {
  assert.equal(replyCount({ message_count: 0 }), 'No replies yet');
  assert.equal(replyCount({ messages: [] }), 'No replies yet');
  assert.equal(replyCount({ message_count: 1 }), '1 reply');
  assert.equal(replyCount({ messages: [{}, {}, {}] }), '3 replies');
  assert.equal(replyCount({ message_count: 1200 }), '1,200 replies');
});
