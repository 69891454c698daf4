// The System page's parts, drawn from the model (model.js): the relay, the consumer group, the service-level
// timer, a projection's status and figures, its failing event, its rebuild's progress and its recent skips. Builders only: the page
// (views/system.js) decides when each part is drawn again.

import { h } from '../dom.js';
import { shortId } from '../format.js';
import * as router from '../router.js';
import { timeEl } from '../ui.js';
import { formatCount } from '../words.js';

function figures(rows) {
  return h('dl', { class: 'figures' }, rows.filter(Boolean).map(([label, value, testid]) => h('div', { class: 'figure' },
    h('dt', null, label), h('dd', { dataset: testid ? { testid } : {} }, value))));
}

/** A status with a symbol and words, never colour alone. */
export function stateBadge({ label, symbol, tone }, testid) {
  return h('span', { class: `state-badge tone-${tone}`, dataset: { testid, tone } },
    h('span', { class: 'state-symbol', 'aria-hidden': 'true' }, symbol), label);
}

/** The relay: leader, published position against the store's, how far behind. */
export function relayPanel(relay, storePosition) {
  if (relay.embedded) {
    return [h('p', { dataset: { testid: 'relay-summary' } }, relay.text),
      figures([['Store position', formatCount(storePosition), 'store-position']])];
  }
  return [
    h('p', null, stateBadge({ label: relay.leaderText, symbol: relay.leader ? '✓' : '!', tone: relay.leader ? relay.tone : 'danger' }, 'relay-leader')),
    figures([
      ['Stream', h('span', { class: 'mono' }, relay.stream || '—')],
      ['Published position', formatCount(relay.published), 'relay-published'],
      ['Store position', formatCount(relay.store), 'store-position'],
      ['Behind', relay.behind, 'relay-behind'],
    ]),
  ];
}

/** The consumer group: entries delivered but not acknowledged, consumers. */
export function groupPanel(group) {
  if (!group) return h('p', { dataset: { testid: 'group-summary' } }, 'No consumer group: events are projected in-process.');
  return figures([
    ['Group', h('span', { class: 'mono' }, group.name)],
    ['Pending entries', formatCount(group.pending), 'group-pending'],
    ['Consumers', formatCount(group.consumers), 'group-consumers'],
  ]);
}

function alertLine(alert, at, testid) {
  if (!alert) return h('span', { dataset: { testid } }, 'None yet');
  return h('span', { dataset: { testid } }, alert.text, ', ticket ', ticketLink(alert.ticketId), ', ', timeEl(at));
}

/**
 * The service-level timer: who raises the alerts, those waiting to be published, the last raised and the last
 * published (the embedded app publishes none: the alerts API lists them).
 */
export function timerPanel(timer) {
  if (!timer) return h('p', { class: 'muted', dataset: { testid: 'timer-summary' } }, 'This server does not report its service-level timer.');
  const symbol = timer.leader ? '✓' : '!';
  return [
    h('p', null, stateBadge({ label: timer.leaderText, symbol, tone: timer.leader ? timer.tone : 'danger' }, 'timer-leader')),
    figures([
      timer.stream ? ['Stream', h('span', { class: 'mono' }, timer.stream)] : null,
      [timer.embedded ? 'Published' : 'Waiting to be published', timer.backlogText, 'timer-backlog'],
      ['Last alert raised', alertLine(timer.lastRaised, timer.lastRaised && timer.lastRaised.raisedAt, 'timer-last-raised')],
      timer.embedded ? null
        : ['Last alert published', alertLine(timer.lastPublished, timer.lastPublished && timer.lastPublished.publishedAt, 'timer-last-published')],
    ]),
    timer.lastError
      ? h('p', { class: 'small rebuild-failed', dataset: { testid: 'timer-error' } },
        h('span', { 'aria-hidden': 'true' }, '! '), 'The last round failed: ', timer.lastError)
      : null,
  ];
}

/** When this process's timer last looked (a round each SLA_TIMER_SECONDS while it leads: drawn apart from the rest). */
export function timerRound(timer) {
  if (!timer || !timer.lastRoundAt) return null;
  return h('p', { class: 'small muted' }, 'Last round in this process: ', h('span', { dataset: { testid: 'timer-last-round' } }, timeEl(timer.lastRoundAt)));
}

/** A projection's heading line: its name and its status, with what the status means. */
export function projectionHead(p, titleId) {
  return [
    h('div', { class: 'projection-head' },
      h('h2', { id: titleId, tabindex: '-1' }, 'Projection ', h('span', { class: 'mono' }, p.name)),
      stateBadge(p, 'projection-status')),
    p.means ? h('p', { class: 'muted small' }, p.means) : null,
  ];
}

/** A rebuild's progress bar, or how the last one ended. */
function rebuildLine(p) {
  const r = p.rebuild;
  if (!r) return null;
  if (r.state === 'running') {
    return h('div', { class: 'rebuild-progress' },
      h('p', { class: 'small', id: `rebuild-label-${p.name}` }, 'Rebuild', r.actor ? ` started by ${r.actor}` : '', ': ', r.text),
      h('div', {
        class: 'progress', role: 'progressbar', 'aria-labelledby': `rebuild-label-${p.name}`,
        'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(r.percent), 'aria-valuetext': r.text,
        dataset: { testid: 'rebuild-progress' },
      }, h('div', { class: 'progress-fill', style: `width: ${r.percent}%` })));
  }
  if (r.state === 'failed') {
    return h('p', { class: 'small rebuild-failed', dataset: { testid: 'rebuild-outcome' } },
      h('span', { 'aria-hidden': 'true' }, '! '), 'The last rebuild failed', r.error ? `: ${r.error}` : '.', ' ',
      timeEl(r.finishedAt));
  }
  return h('p', { class: 'small muted', dataset: { testid: 'rebuild-outcome' } },
    `Last rebuilt (${r.text})`, r.actor ? ` by ${r.actor}` : '', ', ', timeEl(r.finishedAt));
}

/** Checkpoint, lag and the rebuild's progress: redrawn on every answer, nothing in it takes focus. */
export function projectionFigures(p) {
  return [
    figures([
      ['Checkpoint', formatCount(p.checkpoint), 'checkpoint'],
      ['Behind the store', p.behind, 'projection-behind'],
    ]),
    rebuildLine(p),
  ];
}

function ticketLink(id) {
  if (!id) return '—';
  return h('a', { href: router.href(`/ticket/${id}`), title: id }, `#${shortId(id)}`);
}

/** The failing event of a halted projection: where, what, why, when, and the event itself folded. */
export function haltPanel(halt) {
  return h('div', { class: 'halt', dataset: { testid: 'halt' } },
    h('h3', null, h('span', { 'aria-hidden': 'true' }, '■ '), 'Failing event'),
    figures([
      ['Position', formatCount(halt.position), 'halt-position'],
      ['Event type', h('span', { class: 'mono' }, halt.event_type || '—'), 'halt-type'],
      ['Ticket', ticketLink(halt.ticket_id), 'halt-ticket'],
      ['Halted', timeEl(halt.halted_at)],
    ]),
    h('p', { class: 'halt-reason' }, h('strong', null, 'Reason: '), h('span', { dataset: { testid: 'halt-reason' } }, halt.reason || '—')),
    halt.event
      ? h('details', { class: 'event-json', dataset: { testid: 'halt-event' } },
        h('summary', null, 'The event as stored (JSON)'),
        h('pre', { class: 'mono', tabindex: '0', 'aria-label': 'The failing event as JSON' }, JSON.stringify(halt.event, null, 2)))
      : h('p', { class: 'muted small' }, 'The event itself could not be read from the store.'));
}

/** The latest skipped events, newest first as the API lists them. */
export function skippedTable(name, skipped) {
  const captionId = `skipped-${name}`;
  if (!skipped.length) {
    return [h('h3', { id: captionId }, 'Skipped events'), h('p', { class: 'muted small', dataset: { testid: 'skipped-none' } }, 'No event of this projection has been skipped.')];
  }
  return [
    h('h3', { id: captionId }, 'Skipped events'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table compact', 'aria-labelledby': captionId, dataset: { testid: 'skipped' } },
      h('thead', null, h('tr', null, ['Position', 'Event type', 'Ticket', 'By', 'Reason', 'When'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, skipped.map((s) => h('tr', { dataset: { position: String(s.position) } },
        h('td', null, formatCount(s.position)),
        h('td', { class: 'mono' }, s.event_type),
        h('td', null, ticketLink(s.ticket_id)),
        h('td', { dataset: { testid: 'skip-actor' } }, s.actor),
        h('td', { class: 'skip-reason', dataset: { testid: 'skip-reason-text' } }, s.reason),
        h('td', null, timeEl(s.skipped_at))))))),
  ];
}
