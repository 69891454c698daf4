// Service-level clocks as people read them, without the DOM: the status of a clock at an instant (from the
// instants in the ticket JSON, so ok turns to warning and breached exactly on time without a reload), the time
// left or overdue, the worst of a ticket's clocks, and when the page clock must look again. Pure, node --test.

import { formatDuration } from '../format.js';

/** Each status: its words, a symbol drawn next to them (never colour alone), a tone, and what it means. */
export const SLA_STATUS = {
  ok: { label: 'On track', symbol: '◷', tone: 'ok', means: 'Within its target.' },
  warning: { label: 'Due soon', symbol: '⚠', tone: 'warn', means: 'Past the warning threshold: act before the deadline.' },
  breached: { label: 'Breached', symbol: '✕', tone: 'danger', means: 'The deadline has passed.' },
  met: { label: 'Met', symbol: '✓', tone: 'done', means: 'Done within the clock.' },
  paused: { label: 'Paused', symbol: '⏸', tone: 'info', means: 'Paused while waiting for the customer.' },
};
const RANK = { met: 0, paused: 1, ok: 2, warning: 3, breached: 4 };
export const CLOCK_NAMES = { first_response: 'First response', resolution: 'Resolution' };
export const SLA_FILTERS = [['', 'Any deadline'], ['ok', 'On track'], ['warning', 'Due soon'], ['breached', 'Breached'], ['met', 'Met']];

/** {label, symbol, tone, means} of a status; an unknown one by its name. */
export function slaStatusOf(status) {
  return SLA_STATUS[status] || { label: String(status || 'Unknown'), symbol: '?', tone: 'info', means: '' };
}

const instant = (iso) => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? null : t;
};

/**
 * The status of a clock at `now` (ms): met and paused as the server says; otherwise breached from its due
 * instant on, warning from its warning instant on, else ok, and never better than the server's own status.
 */
export function clockStatus(clock, now) {
  if (!clock) return null;
  if (clock.status === 'breached') return 'breached'; // a breach stays, met late or paused after its deadline
  if (clock.status === 'met' || clock.met_at) return 'met';
  if (clock.status === 'paused') return 'paused';
  const due = instant(clock.due_at);
  if (due === null) return clock.status || 'paused';
  const warning = instant(clock.warning_at);
  let status = 'ok';
  if (now >= due) status = 'breached';
  else if (warning !== null && now >= warning) status = 'warning';
  return (RANK[clock.status] ?? 0) > RANK[status] ? clock.status : status;
}

/** The worse of two statuses (met < paused < ok < warning < breached). */
export function worse(a, b) {
  if (!a) return b || null;
  if (!b) return a;
  return (RANK[b] ?? -1) > (RANK[a] ?? -1) ? b : a;
}

/** A duration in ms as people read a deadline: "45 s", "12 min", "1 h 20 min", "3 d 4 h". */
export function formatLeft(ms) {
  return formatDuration(Math.floor(Math.abs(ms) / 1000));
}

/** "due in 1 h 20 min", "overdue by 5 min", "met", "paused" for a clock at `now`. */
export function timeLeftText(clock, now) {
  const status = clockStatus(clock, now);
  if (status === 'met') return 'met';
  if (clock.met_at) return 'met late';
  const due = instant(clock && clock.due_at);
  if (due === null) return status === 'paused' ? 'paused' : 'no deadline';
  if (now >= due) return now - due < 1000 ? 'just overdue' : `overdue by ${formatLeft(now - due)}`;
  return `due in ${formatLeft(due - now)}`;
}

/**
 * The clock a ticket's deadline is told by: the worst pending one (the nearest due among equals), else the
 * worst of all. Returns {name, clock, status} or null when the ticket has no clock.
 */
export function leadingClock(sla, now) {
  if (!sla) return null;
  const clocks = Object.keys(CLOCK_NAMES).filter((name) => sla[name]).map((name) => ({
    name, clock: sla[name], status: clockStatus(sla[name], now), due: instant(sla[name].due_at),
  }));
  if (!clocks.length) return null;
  clocks.sort((a, b) => (RANK[b.status] - RANK[a.status]) || ((a.due ?? Infinity) - (b.due ?? Infinity)));
  const { name, clock, status } = clocks[0];
  return { name, clock, status };
}

/** A ticket's service level at `now`: {status, text, clock} ("First response due in 12 min"), or null. */
export function slaSummary(sla, now) {
  const lead = leadingClock(sla, now);
  if (!lead) return null;
  let status = lead.status;
  for (const name of Object.keys(CLOCK_NAMES)) status = worse(status, clockStatus(sla[name], now));
  const allMet = Object.keys(CLOCK_NAMES).every((name) => !sla[name] || clockStatus(sla[name], now) === 'met');
  if (allMet) return { status: 'met', text: 'All deadlines met', clock: lead.name };
  const text = lead.status === 'paused'
    ? `${CLOCK_NAMES[lead.name]} paused while waiting for the customer`
    : `${CLOCK_NAMES[lead.name]} ${timeLeftText(lead.clock, now)}`;
  return { status, text, clock: lead.name };
}

/**
 * Milliseconds until what a clock shows next changes: its warning or due instant (exactly, plus a few ms so the
 * page reads the new status), each second in the last two minutes either side of the deadline, else 15 s
 * (Infinity when it never changes: met or paused).
 */
export function nextChangeMs(clock, now) {
  const status = clockStatus(clock, now);
  const due = instant(clock && clock.due_at);
  if (status === 'met' || due === null || (clock && clock.met_at)) return Infinity;
  const steps = [];
  const warning = instant(clock.warning_at);
  if (warning !== null && warning > now) steps.push(warning - now + 5);
  if (due > now) steps.push(due - now + 5);
  const away = Math.abs(due - now);
  steps.push(away < 120_000 ? 1000 - (away % 1000) || 1000 : 15_000);
  return Math.max(5, Math.min(...steps));
}

/** The same for a ticket: the soonest change of any of its clocks. */
export function nextSlaChangeMs(sla, now) {
  if (!sla) return Infinity;
  return Math.min(...Object.keys(CLOCK_NAMES).map((name) => (sla[name] ? nextChangeMs(sla[name], now) : Infinity)));
}
