import assert from 'node:assert/strict';
import test from 'node:test';

import {
  deliveryStatus, endpointState, eventTypes, formatLatency, redeliverPosition, typeLabel, webhookBody, webhookErrorText,
  webhookProblems,
} from '../src/webhooks/model.js';

const SCHEMA = { creation_event: 'Created', transitions: [{ name: 'assign', event_type: 'Assigned' }, { name: 'close', event_type: 'Closeed' }] };

test('the event types: the workflow\u2019s, the conversation\u2019s and the service-level alerts', () => {
  assert.deepEqual(eventTypes(SCHEMA), ['Created', 'Assigned', 'Closeed', 'ReplyAdded', 'InternalNoteAdded', 'ServiceLevelWarning', 'ServiceLevelBreached']);
  assert.equal(typeLabel('*'), 'All events');
  assert.equal(typeLabel('ServiceLevelBreached'), 'Service level: breached');
});

test('the form needs a full web address and a type; what is wrong is said per field', () => {
  const ok = { url: 'https://partner.example/hooks', event_types: ['Created'], description: '' };
  assert.deepEqual(webhookProblems(ok), []);
  assert.deepEqual(webhookProblems({ ...ok, url: 'http://127.0.0.1:9000/x' }), [], 'the server decides what is internal');
  assert.deepEqual(webhookProblems({ ...ok, url: '' }).map((p) => p.field), ['url']);
  assert.match(webhookProblems({ ...ok, url: 'partner.example/hooks' })[0].message, /full web address/);
  assert.match(webhookProblems({ ...ok, url: 'ftp://partner.example' })[0].message, /https:\/\//);
  assert.match(webhookProblems({ ...ok, url: 'https://u:p@partner.example' })[0].message, /user name and password/);
  assert.deepEqual(webhookProblems({ ...ok, event_types: [] }).map((p) => p.field), ['event_types']);
  assert.deepEqual(webhookProblems({ ...ok, description: 'x'.repeat(501) }).map((p) => p.field), ['description']);
});

test('the body: "All events" stands alone, the address and description trimmed', () => {
  assert.deepEqual(webhookBody({ url: ' https://p.example/h ', event_types: ['*', 'Created'], description: ' CRM ' }),
    { url: 'https://p.example/h', event_types: ['*'], description: 'CRM' });
  assert.deepEqual(webhookBody({ url: 'https://p.example/h', event_types: ['Created', 'ServiceLevelBreached', 'Created'], description: '' }).event_types,
    ['Created', 'ServiceLevelBreached']);
});

test('an endpoint\u2019s state and a delivery\u2019s status carry words and a symbol', () => {
  assert.equal(endpointState({ enabled: true }).label, 'Enabled');
  const off = endpointState({ enabled: false, disabled_reason: '10 failures in a row' });
  assert.deepEqual([off.label, off.why, off.tone], ['Disabled', '10 failures in a row', 'danger']);
  assert.equal(endpointState({ enabled: false, disabled_reason: null }).tone, 'info', 'disabled by hand');
  for (const s of ['delivered', 'retrying', 'failed', 'pending']) assert.ok(deliveryStatus(s).symbol, s);
  assert.equal(formatLatency(12.4), '12 ms');
  assert.equal(formatLatency(1530), '1.5 s');
  assert.equal(formatLatency(null), '—');
});

test('redelivery needs a position; an unsafe address is explained', () => {
  assert.deepEqual(redeliverPosition(' 12 '), { position: 12 });
  assert.deepEqual(redeliverPosition('0'), { position: 0 });
  for (const bad of ['', '-1', '1.5', 'abc', null]) assert.ok(redeliverPosition(bad).problem, String(bad));
  assert.match(webhookErrorText({ status: 422, code: 'unsafe_url', message: 'resolves to 10.0.0.1' }), /private, local or otherwise internal/);
  assert.match(webhookErrorText({ status: 404, code: 'not_found' }), /no longer exists/);
});
