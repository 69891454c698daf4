import assert from 'node:assert/strict';
import test from 'node:test';

import {
  STATUS, actionErrorText, changes, formatBacklog, formatBehind, formatPositions, formatSeconds, pollErrorText,
  rebuildProgress, retryOutcome, statusOf, systemModel, timerAlert,
} from '../src/system/model.js';

const HALT = {
  position: 12, event_type: 'Closeed', ticket_id: 'a1b2c3d4-0000', reason: 'transition close is not enabled',
  halted_at: '2026-11-28T10:00:00Z', event: { id: 'e1', type: 'Closeed', position: 12 },
};

const ALERT = {
  seq: 7, id: 't-9:resolution:breached:2026-11-28T10:00:00Z', type: 'ServiceLevelBreached', ticket_id: 't-9',
  clock: 'resolution', due_at: '2026-11-28T10:00:00Z', warning_at: '2026-11-28T09:00:00Z',
  raised_at: '2026-11-28T10:00:01Z', priority: 'high', published_at: '2026-11-28T10:00:02Z',
};
const TIMER = {
  leader: true, leading_here: false, last_round_at: null, last_error: null, stream: 'support-ticket.sla-alerts',
  unpublished: 0, last_raised: ALERT, last_published: ALERT,
};

function body({ status = 'running', halt = null, rebuild = null, relay = null, group = null, skipped = [], timer } = {}) {
  return {
    success: true, generated_at: '2026-11-28T10:00:02Z', store_position: 20, relay, consumer_group: group,
    projections: [{ name: 'tickets', status, checkpoint: 11, behind_positions: 9, behind_seconds: 4.25, halt, rebuild, skipped }],
    sla_timer: timer,
  };
}

test('lag in seconds reads as people say it', () => {
  assert.equal(formatSeconds(0), '0 s');
  assert.equal(formatSeconds(0.04), '0.0 s');
  assert.equal(formatSeconds(3.44), '3.4 s');
  assert.equal(formatSeconds(42.4), '42 s');
  assert.equal(formatSeconds(59.4), '59 s');
  assert.equal(formatSeconds(300), '5 min');
  assert.equal(formatSeconds(5400), '1 h 30 min');
  assert.equal(formatSeconds(-2), '0 s', 'a clock ahead of the store is not negative lag');
  for (const unknown of [null, undefined, NaN, 'soon']) assert.equal(formatSeconds(unknown), '—');
});

test('lag in positions: up to date, or how many behind and for how long', () => {
  assert.equal(formatPositions(1), '1 position');
  assert.equal(formatPositions(1234), '1,234 positions');
  assert.equal(formatBehind(0, 0), 'Up to date');
  assert.equal(formatBehind(0, 12), 'Up to date', 'nothing to apply is up to date whatever the clock says');
  assert.equal(formatBehind(9, 4.25), '9 positions behind (4.3 s)');
  assert.equal(formatBehind(1, null), '1 position behind (—)');
});

test('every status has a label, a symbol and a meaning: never colour alone', () => {
  assert.deepEqual(Object.keys(STATUS).sort(), ['halted', 'rebuilding', 'retrying', 'running', 'starting']);
  const symbols = new Set();
  for (const [name, s] of Object.entries(STATUS)) {
    assert.ok(s.label && s.means, name);
    assert.ok(s.symbol, `${name} has a symbol`);
    symbols.add(s.symbol);
  }
  assert.equal(symbols.size, 5, 'each status has its own symbol');
  assert.equal(statusOf('halted').tone, 'danger');
  assert.equal(statusOf('paused').label, 'Paused', 'an unknown status is shown by its name');
});

test('the model of a halted projection carries the failing event, its lag and its skips', () => {
  const skipped = [{ position: 5, event_id: 'e5', event_type: 'Assigned', ticket_id: 't', actor: 'root', reason: 'bad data', skipped_at: '2026-11-28T09:00:00Z' }];
  const m = systemModel(body({ status: 'halted', halt: HALT, skipped }));
  assert.equal(m.storePosition, 20);
  assert.deepEqual(m.relay, { embedded: true, tone: 'ok', text: 'No relay: events are projected in-process.' });
  assert.equal(m.group, null);
  const [p] = m.projections;
  assert.equal(p.status, 'halted');
  assert.equal(p.label, 'Halted');
  assert.equal(p.checkpoint, 11);
  assert.equal(p.behind, '9 positions behind (4.3 s)');
  assert.equal(p.halt.position, 12);
  assert.equal(p.rebuilding, false);
  assert.deepEqual(p.skipped, skipped);
  assert.equal(systemModel(body()).projections[0].halt, null);
});

test('the relay: leader, published against the store, behind; the consumer group', () => {
  const relay = { stream: 's', leader: true, published_position: 18, behind_positions: 2, behind_seconds: 0.5 };
  const m = systemModel(body({ relay, group: { name: 'projector', pending: 3, consumers: 2 } }));
  assert.equal(m.relay.embedded, false);
  assert.equal(m.relay.tone, 'warn');
  assert.equal(m.relay.published, 18);
  assert.equal(m.relay.store, 20);
  assert.equal(m.relay.behind, '2 positions behind (0.5 s)');
  assert.deepEqual(m.group, { name: 'projector', pending: 3, consumers: 2 });
  const lost = systemModel(body({ relay: { ...relay, leader: false, behind_positions: 0 } })).relay;
  assert.equal(lost.tone, 'danger');
  assert.match(lost.leaderText, /No leader/);
  assert.equal(systemModel(body({ relay: { ...relay, behind_positions: 0 } })).relay.tone, 'ok');
});

test('the service-level timer: who raises the alerts, those waiting to be published, the last alerts', () => {
  const t = systemModel(body({ timer: TIMER })).timer;
  assert.equal(t.embedded, false);
  assert.equal(t.tone, 'ok');
  assert.equal(t.leaderText, 'Leader present: one replica raises the alerts');
  assert.equal(t.here, false);
  assert.equal(t.stream, 'support-ticket.sla-alerts');
  assert.equal(t.backlogText, 'None waiting');
  assert.deepEqual(t.lastPublished, {
    id: ALERT.id, kind: 'Breach', ticketId: 't-9', text: 'Breach of the resolution target',
    raisedAt: '2026-11-28T10:00:01Z', publishedAt: '2026-11-28T10:00:02Z',
  });
  assert.equal(t.lastRoundAt, null);

  const here = systemModel(body({ timer: { ...TIMER, leading_here: true, last_round_at: '2026-11-28T10:00:03Z', unpublished: 3 } })).timer;
  assert.equal(here.leaderText, 'Leader present: this replica raises the alerts');
  assert.equal(here.lastRoundAt, '2026-11-28T10:00:03Z');
  assert.equal(here.backlog, 3);
  assert.equal(here.backlogText, '3 alerts waiting');
  assert.equal(here.tone, 'warn', 'alerts waiting to be published');
  const failing = systemModel(body({ timer: { ...TIMER, last_error: "ConnectionError('redis is down')" } })).timer;
  assert.equal(failing.tone, 'warn');
  assert.equal(failing.lastError, "ConnectionError('redis is down')");

  const nobody = systemModel(body({ timer: { ...TIMER, leader: false, last_raised: null, last_published: null } })).timer;
  assert.equal(nobody.tone, 'danger');
  assert.equal(nobody.leaderText, 'No leader: no alert is being raised');
  assert.equal(nobody.lastRaised, null);

  const embedded = systemModel(body({ timer: { ...TIMER, leading_here: true, stream: null, unpublished: null, last_published: null } })).timer;
  assert.equal(embedded.embedded, true);
  assert.equal(embedded.leaderText, 'Running: alerts are raised in-process');
  assert.equal(embedded.backlog, null);
  assert.equal(embedded.backlogText, 'No stream: the alerts API lists them');
  assert.equal(embedded.lastRaised.text, 'Breach of the resolution target');
  assert.equal(systemModel(body()).timer, null, 'a server that does not report its timer');
});

test('a timer alert in words; the backlog counted', () => {
  const warning = timerAlert({ ...ALERT, type: 'ServiceLevelWarning', clock: 'first_response', published_at: null });
  assert.equal(warning.text, 'Warning of the first response target');
  assert.equal(warning.publishedAt, null);
  assert.equal(timerAlert(null), null);
  assert.equal(formatBacklog(0), 'None waiting');
  assert.equal(formatBacklog(1), '1 alert waiting');
  assert.equal(formatBacklog(1234), '1,234 alerts waiting');
});

test('a rebuild\'s progress: done of total, a whole percentage, never over 100', () => {
  assert.deepEqual(rebuildProgress({ state: 'running', done: 450, total: 1000 }),
    { state: 'running', done: 450, total: 1000, percent: 45, text: '450 of 1,000 events (45%)' });
  assert.equal(rebuildProgress({ state: 'running', done: 2, total: 3 }).percent, 66);
  assert.equal(rebuildProgress({ state: 'running', done: 12, total: 10 }).percent, 100);
  assert.equal(rebuildProgress({ state: 'running', done: 0, total: 0 }).percent, 0);
  assert.equal(rebuildProgress({ state: 'finished', done: 0, total: 0 }).percent, 100, 'an empty store is rebuilt at once');
  assert.equal(rebuildProgress(null), null);
  const p = systemModel(body({ status: 'rebuilding', rebuild: { state: 'running', done: 1, total: 4, actor: 'root', started_at: 'x', finished_at: null, error: null } })).projections[0];
  assert.equal(p.rebuilding, true);
  assert.equal(p.rebuild.percent, 25);
  assert.equal(p.rebuild.actor, 'root');
});

test('state changes are announced once; lag moving is not a change', () => {
  const running = systemModel(body());
  assert.deepEqual(changes(null, running), [], 'the first answer announces nothing');
  const laggingMore = systemModel({ ...body(), projections: [{ ...body().projections[0], behind_positions: 50, behind_seconds: 30 }] });
  assert.deepEqual(changes(running, laggingMore), []);
  const halted = systemModel(body({ status: 'halted', halt: HALT }));
  assert.deepEqual(changes(running, halted), ['Projection tickets halted at position 12.']);
  assert.deepEqual(changes(halted, halted), []);
  assert.deepEqual(changes(halted, running), ['Projection tickets is running.']);
  const relay = { stream: 's', leader: true, published_position: 20, behind_positions: 0, behind_seconds: 0 };
  const led = systemModel(body({ relay }));
  const leaderless = systemModel(body({ relay: { ...relay, leader: false } }));
  assert.deepEqual(changes(led, leaderless), ['The relay has no leader: nothing is being published.']);
  assert.deepEqual(changes(leaderless, led), ['The relay has a leader again.']);
  const timed = systemModel(body({ timer: TIMER }));
  const untimed = systemModel(body({ timer: { ...TIMER, leader: false } }));
  assert.deepEqual(changes(timed, untimed), ['The service-level timer has no leader: no alert is being raised.']);
  assert.deepEqual(changes(untimed, timed), ['The service-level timer has a leader again.']);
  assert.deepEqual(changes(timed, systemModel(body({ timer: { ...TIMER, unpublished: 4 } }))), [], 'a backlog is not a change');
  const rebuild = { state: 'running', done: 1, total: 4, actor: 'root', started_at: 'x', finished_at: null, error: null };
  const rebuilding = systemModel(body({ status: 'rebuilding', rebuild }));
  const rebuilt = systemModel(body({ rebuild: { ...rebuild, state: 'finished', done: 4 } }));
  assert.deepEqual(changes(rebuilding, rebuilt), ['Projection tickets is running.', 'The rebuild of tickets finished.']);
});

test('refusals of the admin actions in plain language, and when the page must be fetched again', () => {
  assert.deepEqual(actionErrorText({ status: 409, code: 'position_mismatch', message: 'halt is at 13' }),
    { text: 'The projection moved on: the page is refreshed.', refresh: true });
  assert.equal(actionErrorText({ status: 409, code: 'not_halted' }).refresh, true);
  assert.match(actionErrorText({ status: 409, code: 'rebuild_running' }).text, /already running/);
  assert.deepEqual(actionErrorText({ status: 403, code: 'forbidden' }), { text: 'Only administrators may do this.', refresh: false });
  assert.match(actionErrorText({ status: 0, code: 'network_error' }).text, /cannot be reached/);
  assert.match(actionErrorText({ status: 422, code: 'validation_error', message: 'reason: too short' }).text, /^Not accepted: reason: too short/);
  assert.match(actionErrorText({ status: 500, code: 'internal_error', message: 'Traceback' }).text, /server failed/);
  for (const code of ['position_mismatch', 'not_halted', 'rebuild_running', 'forbidden']) {
    assert.doesNotMatch(actionErrorText({ status: 409, code }).text, /_/, `${code} is said without its code`);
  }
  assert.equal(pollErrorText({ status: 403, code: 'forbidden' }), 'This page is for administrators.');
  assert.equal(pollErrorText({ status: 0, code: 'network_error' }), 'The server cannot be reached.');
  assert.equal(pollErrorText({ status: 500, code: 'internal_error' }), 'The server could not report its state.');
  assert.equal(pollErrorText({ status: 503, code: 'auth_unavailable', message: 'the admin API needs a JWT key' }),
    'The server could not report its state: the admin API needs a JWT key.');
});

test('a retry that meets the same failure says so; otherwise it says the retry started', () => {
  const again = retryOutcome({ success: true, projection: { status: 'halted', halt: { position: 12 } } }, 12);
  assert.equal(again.kind, 'error');
  assert.match(again.text, /position 12 failed again: the projection is still halted/);
  assert.equal(retryOutcome({ success: true, projection: { status: 'running', halt: null } }, 12).kind, 'success');
  assert.equal(retryOutcome({ success: true, projection: { status: 'retrying', halt: null } }, 12).kind, 'success');
  const elsewhere = retryOutcome({ success: true, projection: { status: 'halted', halt: { position: 13 } } }, 12);
  assert.equal(elsewhere.kind, 'success', 'halted on a later event: this one went through');
  assert.match(retryOutcome(null, 12).text, /^Retry started/);
});
