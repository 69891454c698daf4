import assert from 'node:assert/strict';
import test from 'node:test';

import { formFromPolicy, isDate, minutesHint, policyBody, policyProblems, saveErrorText } from '../src/sla/policy-form.js';

const POLICY = {
  targets: {
    high: { first_response_minutes: 30, resolution_minutes: 240, warning_percent: 75 },
    normal: { first_response_minutes: 120, resolution_minutes: null, warning_percent: 80 },
  },
  calendar: { time_zone: 'Europe/Berlin', days: [5, 1, 2, 3, 4], start: '08:00', end: '18:00', holidays: ['2026-12-25', '2026-12-24'] },
};

test('the form shows a policy as typed values, and an empty one with defaults', () => {
  const state = formFromPolicy(POLICY);
  assert.deepEqual(state.targets.high, { first_response_minutes: '30', resolution_minutes: '240', warning_percent: '75' });
  assert.deepEqual(state.targets.normal, { first_response_minutes: '120', resolution_minutes: '', warning_percent: '80' });
  assert.deepEqual(state.targets.low, { first_response_minutes: '', resolution_minutes: '', warning_percent: '80' });
  assert.equal(state.business_hours, true);
  assert.deepEqual(state.days, [1, 2, 3, 4, 5]);
  assert.deepEqual(state.holidays, ['2026-12-24', '2026-12-25']);
  const none = formFromPolicy(null, { timeZone: 'America/New_York' });
  assert.equal(none.business_hours, false);
  assert.equal(none.time_zone, 'America/New_York', 'the browser\u2019s zone is offered first');
  assert.deepEqual(none.days, [1, 2, 3, 4, 5]);
});

test('the body is the whole policy: priorities without targets left out, the calendar or null, the version', () => {
  const body = policyBody(formFromPolicy(POLICY), 4);
  assert.deepEqual(body, {
    targets: {
      normal: { first_response_minutes: 120, resolution_minutes: null, warning_percent: 80 },
      high: { first_response_minutes: 30, resolution_minutes: 240, warning_percent: 75 },
    },
    calendar: { time_zone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', holidays: ['2026-12-24', '2026-12-25'] },
    expected_version: 4,
  });
  const roundTheClock = { ...formFromPolicy(POLICY), business_hours: false };
  assert.equal(policyBody(roundTheClock, 0).calendar, null);
  assert.equal(policyBody(roundTheClock, 0).expected_version, 0, 'version 0: no policy yet');
  assert.equal('expected_version' in policyBody(roundTheClock, null), false);
});

test('a valid form has no problem; each bad value is said in plain words for its field', () => {
  assert.deepEqual(policyProblems(formFromPolicy(POLICY), { zones: ['UTC', 'Europe/Berlin'] }), []);
  const state = formFromPolicy(POLICY);
  state.targets.high.first_response_minutes = '1.5';
  state.targets.low.resolution_minutes = '0';
  state.targets.urgent.warning_percent = '100';
  state.targets.normal.first_response_minutes = '9999999';
  const problems = policyProblems(state);
  assert.deepEqual(problems.map((p) => p.field), ['low.resolution_minutes', 'normal.first_response_minutes', 'high.first_response_minutes', 'urgent.warning_percent']);
  assert.match(problems[0].message, /^Low: the resolution target must be a whole number of minutes, at least 1/);
  assert.match(problems[1].message, /too long: at most 525,600 minutes/);
  assert.match(problems[3].message, /from 1 to 99/);
});

test('a resolution shorter than the first response is refused', () => {
  const state = formFromPolicy(POLICY);
  state.targets.high.resolution_minutes = '20';
  assert.deepEqual(policyProblems(state).map((p) => p.field), ['high.resolution_minutes']);
});

test('business hours: a zone, a day, an end after the start, real holidays; none checked when round the clock', () => {
  const state = formFromPolicy(POLICY);
  Object.assign(state, { time_zone: 'Mars/Olympus', days: [], start: '18:00', end: '08:00', holidays: ['2026-02-30', '2026-12-25'] });
  const problems = policyProblems(state, { zones: ['UTC', 'Europe/Berlin'] });
  assert.deepEqual(problems.map((p) => p.field), ['time_zone', 'days', 'end', 'holidays']);
  assert.match(problems[2].message, /must end after it starts \(18:00\)/);
  assert.match(problems[3].message, /Not a date: 2026-02-30/);
  assert.deepEqual(policyProblems({ ...state, business_hours: false }), [], 'the calendar is not checked when unused');
  assert.ok(isDate('2028-02-29'));
  assert.ok(!isDate('2026-13-01'));
});

test('minutes are read back as hours, and a 409 says someone else changed it', () => {
  assert.equal(minutesHint('90'), '= 1 h 30 min');
  assert.equal(minutesHint('45'), '');
  assert.equal(minutesHint('x'), '');
  const conflict = saveErrorText({ status: 409, code: 'version_conflict', message: 'stale' });
  assert.equal(conflict.reload, true);
  assert.match(conflict.text, /Someone else changed the policy/);
  assert.match(saveErrorText({ status: 422, code: 'validation_error', message: 'too large', field: 'body.targets.high' }).text, /too large \(targets › high\)/);
  assert.equal(saveErrorText({ status: 0 }).reload, false);
});
