// The service-level policy form without the DOM: the form's state from a policy (and back as the body of
// PUT /api/sla/policy), the checks in plain language before sending, and the refusals said for people.
// Pure, covered by node --test.

import { formatDuration } from '../format.js';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
export const DEFAULT_WARNING = 80;
export const MAX_MINUTES = 525_600; // a year
export const DAYS = [[1, 'Monday'], [2, 'Tuesday'], [3, 'Wednesday'], [4, 'Thursday'], [5, 'Friday'], [6, 'Saturday'], [7, 'Sunday']];
const text = (v) => (v === null || v === undefined ? '' : String(v));

/** The form's state (every value as typed, in strings) for `policy` (null: none yet). */
export function formFromPolicy(policy, { priorities = PRIORITIES, timeZone = 'UTC' } = {}) {
  const targets = {};
  for (const p of priorities) {
    const t = (policy && policy.targets && policy.targets[p]) || {};
    targets[p] = {
      first_response_minutes: text(t.first_response_minutes),
      resolution_minutes: text(t.resolution_minutes),
      warning_percent: text(t.warning_percent ?? DEFAULT_WARNING),
    };
  }
  const c = policy && policy.calendar;
  return {
    targets,
    business_hours: Boolean(c),
    time_zone: (c && c.time_zone) || timeZone,
    days: c ? [...c.days].map(Number).sort() : [1, 2, 3, 4, 5],
    start: (c && c.start) || '09:00',
    end: (c && c.end) || '17:00',
    holidays: c ? [...(c.holidays || [])].sort() : [],
  };
}

const whole = (v) => /^\d+$/.test(String(v).trim());
const minutesOf = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether "YYYY-MM-DD" is a real date. */
export function isDate(value) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function minutesProblem(value, what) {
  const v = String(value).trim();
  if (v === '') return null;
  if (!whole(v) || Number(v) < 1) return `${what} must be a whole number of minutes, at least 1 (or empty for no target).`;
  if (Number(v) > MAX_MINUTES) return `${what} is too long: at most ${MAX_MINUTES.toLocaleString('en')} minutes (a year).`;
  return null;
}

/**
 * What stops the form from being saved, as [{field, message}] in plain language (empty: it may go). Fields are
 * "<priority>.<name>", "time_zone", "days", "start", "end", "holidays".
 */
export function policyProblems(state, { priorities = PRIORITIES, zones = null } = {}) {
  const problems = [];
  const say = (field, message) => problems.push({ field, message });
  for (const p of priorities) {
    const t = state.targets[p];
    const name = p.charAt(0).toUpperCase() + p.slice(1);
    const first = minutesProblem(t.first_response_minutes, `${name}: the first response target`);
    if (first) say(`${p}.first_response_minutes`, first);
    const resolution = minutesProblem(t.resolution_minutes, `${name}: the resolution target`);
    if (resolution) say(`${p}.resolution_minutes`, resolution);
    const w = String(t.warning_percent).trim();
    if (!whole(w) || Number(w) < 1 || Number(w) > 99) say(`${p}.warning_percent`, `${name}: the warning must be a whole percentage from 1 to 99.`);
    if (!first && !resolution && whole(t.first_response_minutes) && whole(t.resolution_minutes)
      && Number(t.resolution_minutes) < Number(t.first_response_minutes)) {
      say(`${p}.resolution_minutes`, `${name}: the resolution target cannot be shorter than the first response target.`);
    }
  }
  if (state.business_hours) {
    if (!state.time_zone || (zones && !zones.includes(state.time_zone))) say('time_zone', 'Pick the time zone the business hours are in.');
    if (!state.days.length) say('days', 'Pick at least one working day.');
    const hhmm = /^\d{2}:\d{2}$/;
    if (!hhmm.test(state.start)) say('start', 'Give the start of the working day as hours and minutes.');
    else if (!hhmm.test(state.end)) say('end', 'Give the end of the working day as hours and minutes.');
    else if (minutesOf(state.end) <= minutesOf(state.start)) say('end', `The working day must end after it starts (${state.start}).`);
    const bad = state.holidays.filter((d) => !isDate(d));
    if (bad.length) say('holidays', `Not a date: ${bad.join(', ')}. Use the date picker (year, month, day).`);
  }
  return problems;
}

/** The body of PUT /api/sla/policy for a state that passed the checks, with the version it was edited from. */
export function policyBody(state, expectedVersion, { priorities = PRIORITIES } = {}) {
  const targets = {};
  const minutes = (v) => (String(v).trim() === '' ? null : Number(v));
  for (const p of priorities) {
    const t = state.targets[p];
    const first = minutes(t.first_response_minutes);
    const resolution = minutes(t.resolution_minutes);
    if (first === null && resolution === null) continue; // a missing priority has no targets
    targets[p] = { first_response_minutes: first, resolution_minutes: resolution, warning_percent: Number(t.warning_percent) };
  }
  const calendar = state.business_hours
    ? {
      time_zone: state.time_zone,
      days: [...new Set(state.days.map(Number))].sort(),
      start: state.start,
      end: state.end,
      holidays: [...new Set(state.holidays)].sort(),
    }
    : null;
  const body = { targets, calendar };
  if (expectedVersion !== null && expectedVersion !== undefined) body.expected_version = expectedVersion;
  return body;
}

/** "= 1 h 30 min" next to a target typed in minutes; '' when it is not a number. */
export function minutesHint(value) {
  const v = String(value).trim();
  if (!whole(v) || Number(v) < 60) return '';
  return `= ${formatDuration(Number(v) * 60)}`;
}

/** A refusal of the save in plain language: {text, reload} (reload: the page should offer to load it again). */
export function saveErrorText(err) {
  if (err && (err.code === 'version_conflict' || err.status === 409)) {
    return {
      text: 'Someone else changed the policy after you opened it. Your changes are kept here but were not saved: load the current policy to see theirs, then make your changes again.',
      reload: true,
    };
  }
  if (err && err.code === 'forbidden') return { text: 'Only administrators may change the policy.', reload: false };
  if (err && err.status === 0) return { text: 'Not saved: the server cannot be reached. Your changes are kept; try again in a moment.', reload: false };
  if (err && err.status === 422) {
    const where = err.field ? ` (${String(err.field).replace(/^body\./, '').replace(/\./g, ' › ')})` : '';
    return { text: `Not saved: ${String(err.message || 'the policy is not valid')}${where}.`, reload: false };
  }
  if (err && err.status >= 500) return { text: 'Not saved: something went wrong on the server. Try again in a moment.', reload: false };
  return { text: `Not saved: ${String((err && err.message) || 'unknown error')}.`, reload: false };
}
