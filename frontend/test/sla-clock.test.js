import assert from 'node:assert/strict';
import test from 'node:test';

import {
  clockStatus, formatLeft, leadingClock, nextChangeMs, nextSlaChangeMs, slaStatusOf, slaSummary, timeLeftText, worse,
} from '../src/sla/clock.js';

const T0 = Date.parse('2026-11-28T10:00:00Z');
const at = (ms) => new Date(T0 + ms).toISOString();
const MIN = 60_000;
/** A running clock: warning at 48 min, due at 60 min after T0. */
const running = (status = 'ok') => ({ due_at: at(60 * MIN), warning_at: at(48 * MIN), status, met_at: null, elapsed_seconds: 0, target_seconds: 3600 });

test('a running clock turns from ok to warning to breached at the exact instants', () => {
  const c = running();
  assert.equal(clockStatus(c, T0), 'ok');
  assert.equal(clockStatus(c, T0 + 48 * MIN - 1), 'ok');
  assert.equal(clockStatus(c, T0 + 48 * MIN), 'warning', 'warning from its instant on');
  assert.equal(clockStatus(c, T0 + 60 * MIN - 1), 'warning');
  assert.equal(clockStatus(c, T0 + 60 * MIN), 'breached', 'breached at the due instant');
  assert.equal(clockStatus(c, T0 + 600 * MIN), 'breached');
});

test('met and paused clocks stay so whatever the time; the server is never contradicted for the better', () => {
  const met = { ...running('met'), met_at: at(10 * MIN) };
  assert.equal(clockStatus(met, T0 + 900 * MIN), 'met');
  const paused = { due_at: null, warning_at: null, status: 'paused', met_at: null, elapsed_seconds: 1200, target_seconds: 3600 };
  assert.equal(clockStatus(paused, T0 + 900 * MIN), 'paused');
  assert.equal(clockStatus({ ...running('paused') }, T0 + 900 * MIN), 'paused', 'paused even with an instant left over');
  assert.equal(clockStatus(running('breached'), T0), 'breached', 'a server that read it breached (a clock behind) wins');
  assert.equal(clockStatus(running('warning'), T0), 'warning');
  assert.equal(clockStatus(null, T0), null);
  const late = { ...running('breached'), met_at: at(70 * MIN) };
  assert.equal(clockStatus(late, T0 + 80 * MIN), 'breached', 'met after its deadline stays breached');
  assert.equal(timeLeftText(late, T0 + 80 * MIN), 'met late');
  assert.equal(nextChangeMs(late, T0), Infinity);
});

test('time left reads as people say it, then overdue', () => {
  assert.equal(formatLeft(80 * MIN), '1 h 20 min');
  assert.equal(formatLeft(80 * MIN + 59_999), '1 h 20 min', 'whole minutes, never rounded up');
  assert.equal(formatLeft(45_500), '45 s');
  assert.equal(formatLeft(-5 * MIN), '5 min');
  const c = running();
  assert.equal(timeLeftText(c, T0 - 20 * MIN), 'due in 1 h 20 min');
  assert.equal(timeLeftText(c, T0 + 59 * MIN + 15_000), 'due in 45 s');
  assert.equal(timeLeftText(c, T0 + 65 * MIN), 'overdue by 5 min');
  assert.equal(timeLeftText(c, T0 + 60 * MIN), 'just overdue', 'not "overdue by 0 s"');
  assert.equal(timeLeftText(c, T0 + 60 * MIN + 1000), 'overdue by 1 s');
  assert.equal(timeLeftText({ ...c, met_at: at(1), status: 'met' }, T0), 'met');
  assert.equal(timeLeftText({ ...c, due_at: null, status: 'paused' }, T0), 'paused');
});

test('a ticket is told by its worst clock; met only when every clock is met', () => {
  const sla = { first_response: running(), resolution: { ...running(), due_at: at(240 * MIN), warning_at: at(192 * MIN) }, status: 'ok' };
  assert.deepEqual(slaSummary(sla, T0), { status: 'ok', text: 'First response due in 1 h', clock: 'first_response' });
  assert.equal(slaSummary(sla, T0 + 50 * MIN).status, 'warning');
  assert.deepEqual(slaSummary(sla, T0 + 65 * MIN), { status: 'breached', text: 'First response overdue by 5 min', clock: 'first_response' });
  const answered = { ...sla, first_response: { ...running('met'), met_at: at(5 * MIN) } };
  assert.deepEqual(slaSummary(answered, T0 + 65 * MIN), { status: 'ok', text: 'Resolution due in 2 h 55 min', clock: 'resolution' });
  const waiting = { ...answered, resolution: { due_at: null, warning_at: null, status: 'paused', met_at: null, elapsed_seconds: 60, target_seconds: 14400 } };
  assert.deepEqual(slaSummary(waiting, T0 + 65 * MIN), { status: 'paused', text: 'Resolution paused while waiting for the customer', clock: 'resolution' });
  const done = { ...answered, resolution: { ...running('met'), met_at: at(30 * MIN) } };
  assert.equal(slaSummary(done, T0 + 999 * MIN).status, 'met');
  assert.equal(slaSummary(null, T0), null);
  assert.equal(leadingClock({ first_response: null, resolution: null }, T0), null);
  assert.equal(slaSummary({ first_response: null, resolution: running() }, T0).clock, 'resolution', 'a priority with one clock only');
});

test('the worse of two statuses', () => {
  assert.equal(worse('ok', 'breached'), 'breached');
  assert.equal(worse('met', 'paused'), 'paused');
  assert.equal(worse('warning', 'ok'), 'warning');
  assert.equal(worse(null, 'met'), 'met');
});

test('the page clock looks again exactly at the next instant, each second near the deadline, else every 15 s', () => {
  const c = running();
  assert.equal(nextChangeMs(c, T0), 15_000);
  assert.equal(nextChangeMs(c, T0 + 48 * MIN - 3000), 3005, 'the warning instant, a hair after');
  assert.equal(nextChangeMs(c, T0 + 60 * MIN - 400), 405, 'the due instant');
  assert.equal(nextChangeMs(c, T0 + 59 * MIN), 1000, 'seconds are shown in the last minutes');
  assert.equal(nextChangeMs(c, T0 + 61 * MIN + 300), 700);
  assert.equal(nextChangeMs(c, T0 + 90 * MIN), 15_000);
  assert.equal(nextChangeMs({ ...c, status: 'met', met_at: at(1) }, T0), Infinity, 'a met clock never changes');
  assert.equal(nextChangeMs({ ...c, due_at: null, status: 'paused' }, T0), Infinity);
  assert.equal(nextSlaChangeMs({ first_response: c, resolution: null }, T0 + 48 * MIN - 3000), 3005);
  assert.equal(nextSlaChangeMs(null, T0), Infinity);
});

test('every status has words and a symbol, not colour alone', () => {
  for (const status of ['ok', 'warning', 'breached', 'met', 'paused']) {
    const s = slaStatusOf(status);
    assert.ok(s.label && s.symbol && s.tone, status);
  }
  assert.equal(slaStatusOf('odd').label, 'odd');
});
