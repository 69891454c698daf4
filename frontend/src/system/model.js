// The System page's model, without the DOM: the answer of GET /api/admin/system turned into what the page says
// (statuses with their words and symbols, lag, rebuild progress, the service-level timer), the state changes worth
// announcing between two answers, and the admin API's refusals in plain language. Pure functions, covered by
// node --test.

import { formatDuration, humanize } from '../format.js';
import { CLOCK_NAMES } from '../sla/clock.js';
import { formatCount } from '../words.js';

/**
 * Each projection status: its label, a symbol drawn next to it (so the state never rests on colour alone), a
 * tone for the colour, and what it means.
 */
export const STATUS = {
  running: { label: 'Running', symbol: '✓', tone: 'ok', means: 'Applying events as they are committed.' },
  starting: { label: 'Starting', symbol: '…', tone: 'info', means: 'Catching up with the event store before it runs.' },
  retrying: { label: 'Retrying', symbol: '↻', tone: 'warn', means: 'An event failed to apply and is being tried again.' },
  halted: {
    label: 'Halted', symbol: '■', tone: 'danger',
    means: 'Stopped at a failing event: nothing after it is applied until it is retried or skipped.',
  },
  rebuilding: { label: 'Rebuilding', symbol: '⟳', tone: 'info', means: 'Building its read model again from the event store.' },
};

/** {label, symbol, tone, means} of a status; an unknown one is shown by its name. */
export function statusOf(status) {
  return STATUS[status] || { label: humanize(status) || 'Unknown', symbol: '?', tone: 'info', means: '' };
}

/** Seconds of lag for people: "0 s", "3.4 s", "42 s", "5 min", "1 h 30 min"; "—" when unknown. */
export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return '—';
  const s = Math.max(0, Number(seconds));
  if (s === 0) return '0 s';
  if (s < 9.95) return `${s.toFixed(1)} s`;
  if (s < 59.5) return `${Math.round(s)} s`;
  return formatDuration(s);
}

/** "1 position", "1,234 positions". */
export function formatPositions(n) {
  const count = Math.max(0, Number(n) || 0);
  return `${formatCount(count)} ${count === 1 ? 'position' : 'positions'}`;
}

/** How far behind: "Up to date", or "12 positions behind (3.4 s)". */
export function formatBehind(positions, seconds) {
  if (!Number(positions)) return 'Up to date';
  return `${formatPositions(positions)} behind (${formatSeconds(seconds)})`;
}

/** A rebuild's progress: {done, total, percent, text}; percent is 0..100, whole. */
export function rebuildProgress(rebuild) {
  if (!rebuild) return null;
  const done = Math.max(0, Number(rebuild.done) || 0);
  const total = Math.max(0, Number(rebuild.total) || 0);
  let percent;
  if (total > 0) percent = Math.min(100, Math.floor((done * 100) / total));
  else percent = rebuild.state === 'finished' ? 100 : 0;
  const text = `${formatCount(done)} of ${formatCount(total)} events (${percent}%)`;
  return { state: rebuild.state, done, total, percent, text };
}

function relayModel(relay, storePosition) {
  if (!relay) return { embedded: true, tone: 'ok', text: 'No relay: events are projected in-process.' };
  const behind = Number(relay.behind_positions) || 0;
  let tone = 'ok';
  if (!relay.leader) tone = 'danger';
  else if (behind > 0) tone = 'warn';
  return {
    embedded: false,
    tone,
    stream: relay.stream,
    leader: Boolean(relay.leader),
    leaderText: relay.leader ? 'Leader present: one replica publishes' : 'No leader: nothing is being published',
    published: Number(relay.published_position) || 0,
    store: Number(storePosition) || 0,
    behind: formatBehind(behind, relay.behind_seconds),
  };
}

/** An alert of the timer: "Breach of the resolution target" (or "Warning of ..."), its ticket and its times. */
export function timerAlert(alert) {
  if (!alert) return null;
  const kind = alert.type === 'ServiceLevelBreached' ? 'Breach' : 'Warning';
  const clock = (CLOCK_NAMES[alert.clock] || humanize(alert.clock) || 'unknown').toLowerCase();
  return {
    id: alert.id, kind, ticketId: alert.ticket_id, text: `${kind} of the ${clock} target`,
    raisedAt: alert.raised_at || null, publishedAt: alert.published_at || null,
  };
}

/** "None waiting", "1 alert waiting", "12 alerts waiting". */
export function formatBacklog(n) {
  const count = Math.max(0, Number(n) || 0);
  if (!count) return 'None waiting';
  return `${formatCount(count)} ${count === 1 ? 'alert' : 'alerts'} waiting`;
}

/**
 * The service-level timer: who raises the alerts (one replica holds its lock; the embedded app runs its own), the
 * alerts raised and not published yet, the last raised and the last published. Null when the server says nothing
 * of it (an older server).
 */
function timerModel(t) {
  if (!t) return null;
  const leader = Boolean(t.leader);
  const published = Boolean(t.stream);
  const backlog = published ? Math.max(0, Number(t.unpublished) || 0) : null;
  let tone = 'ok';
  if (!leader) tone = 'danger';
  else if (t.last_error || backlog > 0) tone = 'warn';
  let leaderText;
  if (!published) leaderText = leader ? 'Running: alerts are raised in-process' : 'Not running: no alert is being raised';
  else if (!leader) leaderText = 'No leader: no alert is being raised';
  else leaderText = t.leading_here ? 'Leader present: this replica raises the alerts' : 'Leader present: one replica raises the alerts';
  return {
    embedded: !published,
    tone,
    leader,
    here: t.leading_here === true,
    leaderText,
    stream: t.stream || null,
    backlog,
    backlogText: published ? formatBacklog(backlog) : 'No stream: the alerts API lists them',
    lastRoundAt: t.last_round_at || null,
    lastError: t.last_error || null,
    lastRaised: timerAlert(t.last_raised),
    lastPublished: timerAlert(t.last_published),
  };
}

function projectionModel(p) {
  const status = statusOf(p.status);
  return {
    name: p.name,
    status: p.status,
    ...status,
    checkpoint: Number(p.checkpoint) || 0,
    behind: formatBehind(p.behind_positions, p.behind_seconds),
    halt: p.status === 'halted' || p.halt ? p.halt || null : null,
    rebuild: p.rebuild ? { ...rebuildProgress(p.rebuild), actor: p.rebuild.actor, startedAt: p.rebuild.started_at,
      finishedAt: p.rebuild.finished_at, error: p.rebuild.error } : null,
    rebuilding: p.status === 'rebuilding' || Boolean(p.rebuild && p.rebuild.state === 'running'),
    skipped: Array.isArray(p.skipped) ? p.skipped : [],
  };
}

/** The page's model of one answer of GET /api/admin/system. */
export function systemModel(body) {
  const b = body || {};
  return {
    generatedAt: b.generated_at || null,
    storePosition: Number(b.store_position) || 0,
    relay: relayModel(b.relay, b.store_position),
    group: b.consumer_group
      ? { name: b.consumer_group.name, pending: Number(b.consumer_group.pending) || 0, consumers: Number(b.consumer_group.consumers) || 0 }
      : null,
    projections: (b.projections || []).map(projectionModel),
    timer: timerModel(b.sla_timer),
  };
}

/**
 * What changed between two models that a screen reader should hear (a status, the relay's or the timer's leader, a
 * rebuild's end), as sentences; lag moving is not a change. `previous` null (the first answer) announces nothing.
 */
export function changes(previous, next) {
  if (!previous || !next) return [];
  const said = [];
  if (!previous.relay.embedded && !next.relay.embedded && previous.relay.leader !== next.relay.leader) {
    said.push(next.relay.leader ? 'The relay has a leader again.' : 'The relay has no leader: nothing is being published.');
  }
  if (previous.timer && next.timer && previous.timer.leader !== next.timer.leader) {
    said.push(next.timer.leader
      ? 'The service-level timer has a leader again.'
      : 'The service-level timer has no leader: no alert is being raised.');
  }
  const before = new Map(previous.projections.map((p) => [p.name, p]));
  for (const p of next.projections) {
    const was = before.get(p.name);
    if (!was) continue;
    if (was.status !== p.status) {
      said.push(p.status === 'halted' && p.halt
        ? `Projection ${p.name} halted at position ${p.halt.position}.`
        : `Projection ${p.name} is ${p.label.toLowerCase()}.`);
    }
    const ended = was.rebuild && was.rebuild.state === 'running' && p.rebuild && p.rebuild.state !== 'running';
    if (ended) said.push(p.rebuild.state === 'finished' ? `The rebuild of ${p.name} finished.` : `The rebuild of ${p.name} failed.`);
  }
  return said;
}

/**
 * A refusal of an admin action (an ApiError-like {status, code, message}) in plain language, and whether the page
 * should fetch the state again because it was stale: {text, refresh}.
 */
export function actionErrorText(err) {
  const code = err && err.code;
  switch (code) {
    case 'position_mismatch':
      return { text: 'The projection moved on: the page is refreshed.', refresh: true };
    case 'not_halted':
      return { text: 'The projection is no longer halted: the page is refreshed.', refresh: true };
    case 'rebuild_running':
      return { text: 'A rebuild of this projection is already running: its progress is shown here.', refresh: true };
    case 'not_found':
      return { text: 'There is no such projection: the page is refreshed.', refresh: true };
    case 'forbidden':
      return { text: 'Only administrators may do this.', refresh: false };
    default:
      break;
  }
  if (!err || err.status === 0 || code === 'network_error') {
    return { text: 'Not sent: the server cannot be reached. Try again in a moment.', refresh: false };
  }
  if (err.status === 422) return { text: `Not accepted: ${String(err.message || 'the request is not valid')}`, refresh: false };
  if (err.status >= 500) return { text: 'The server failed to do it. Try again in a moment.', refresh: false };
  return { text: String(err.message || 'It could not be done.'), refresh: false };
}

/**
 * What the answer of a retry says, as {text, kind}: the projection runs again, or (when it answers halted at the
 * same event) the event failed again and the cause is still there.
 */
export function retryOutcome(answer, position) {
  const p = answer && answer.projection;
  if (p && p.status === 'halted' && p.halt && p.halt.position === position) {
    return {
      text: `The event at position ${position} failed again: the projection is still halted. Fix the cause first, or skip the event.`,
      kind: 'error',
    };
  }
  return { text: `Retry started: the projection tries the event at position ${position} again.`, kind: 'success' };
}

/** Why a poll failed, in plain language. */
export function pollErrorText(err) {
  if (err && err.status === 403) return 'This page is for administrators.';
  if (!err || err.status === 0 || err.code === 'network_error') return 'The server cannot be reached.';
  if (err.status === 503 && err.message) return `The server could not report its state: ${err.message}.`;
  if (err.status >= 500) return 'The server could not report its state.';
  return String(err.message || 'The state could not be loaded.');
}
