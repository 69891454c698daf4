// An endpoint's delivery log (newest first, as the API lists them): status with a symbol, attempts, HTTP status,
// latency, the response's first characters and the times; refreshed every few seconds while it is open. Below it
// "Redeliver from position": every event from that position on is sent again.

import * as api from '../api.js';
import { sayIn } from '../admin.js';
import { h, mount, uid } from '../dom.js';
import { shortId } from '../format.js';
import { href } from '../router.js';
import { createPoller } from '../system/poller.js';
import { errorBox, timeEl } from '../ui.js';
import { formatCount } from '../words.js';
import { deliveryStatus, formatLatency, redeliverPosition, webhookErrorText } from './model.js';

export const DELIVERIES_POLL_MS = 3000;

function row(d) {
  const s = deliveryStatus(d.status);
  return h('tr', { dataset: { delivery: d.id, status: d.status } },
    h('td', null, h('span', { class: 'mono' }, d.event_type || '—'),
      d.position !== null && d.position !== undefined ? h('span', { class: 'muted small' }, ` · position ${formatCount(d.position)}`) : null,
      d.ticket_id ? [' · ', h('a', { href: href(`/ticket/${d.ticket_id}`), title: d.ticket_id }, `#${shortId(d.ticket_id)}`)] : null),
    h('td', null, h('span', { class: `state-badge tone-${s.tone}`, dataset: { testid: 'delivery-status' } },
      h('span', { class: 'state-symbol', 'aria-hidden': 'true' }, s.symbol), s.label)),
    h('td', { dataset: { testid: 'delivery-attempts' } }, formatCount(d.attempts || 0)),
    h('td', null, d.http_status ? String(d.http_status) : '—'),
    h('td', null, formatLatency(d.latency_ms)),
    h('td', { class: 'mono excerpt' }, d.response_excerpt || ''),
    h('td', null, timeEl(d.last_attempt_at)),
    h('td', null, d.next_attempt_at ? timeEl(d.next_attempt_at) : '—'));
}

function table(deliveries, captionId) {
  if (!deliveries.length) return h('p', { class: 'muted small', dataset: { testid: 'deliveries-none' } }, 'Nothing delivered yet: events appear here as they are sent.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table compact deliveries', 'aria-labelledby': captionId, dataset: { testid: 'deliveries' } },
    h('thead', null, h('tr', null, ['Event', 'Status', 'Attempts', 'HTTP', 'Latency', 'Response', 'Last attempt', 'Next attempt'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, deliveries.map(row))));
}

function redeliverForm(endpoint, onQueued) {
  const id = uid('from');
  const input = h('input', { type: 'number', id, name: 'from_position', min: 0, step: 1, class: 'num-input', dataset: { testid: 'redeliver-from' } });
  const outcome = h('div', { class: 'outcome', role: 'status', 'aria-live': 'polite', dataset: { testid: 'redeliver-outcome' } });
  const submit = h('button', { type: 'submit', class: 'btn', dataset: { testid: 'redeliver' } }, 'Redeliver');
  const form = h('form', { class: 'actions-row redeliver', novalidate: true },
    h('label', { for: id }, 'Redeliver from position'), input, submit, outcome);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { position, problem } = redeliverPosition(input.value);
    if (problem) {
      sayIn(outcome, problem, 'error');
      input.focus();
      return;
    }
    submit.disabled = true;
    try {
      const answer = await api.redeliverWebhook(endpoint.id, position);
      const n = Number(answer.queued) || 0;
      sayIn(outcome, `${formatCount(n)} ${n === 1 ? 'event is' : 'events are'} queued again from position ${formatCount(position)}.`);
      onQueued();
    } catch (err) {
      sayIn(outcome, webhookErrorText(err), 'error');
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The log of `endpoint`, polling while on screen. Returns {element, stop}. */
export function deliveryLog(endpoint) {
  const captionId = uid('log');
  const box = h('div', { 'aria-live': 'off' });
  const poller = createPoller({
    load: (signal) => api.webhookDeliveries(endpoint.id, 50, { signal }),
    onData: (answer) => {
      const signature = JSON.stringify(answer.deliveries || []);
      if (box.dataset.signature === signature) return;
      box.dataset.signature = signature;
      mount(box, table(answer.deliveries || [], captionId));
    },
    onError: (err) => mount(box, errorBox(err, () => poller.refresh(), 'The delivery log could not be loaded')),
    intervalMs: DELIVERIES_POLL_MS,
    visibility: document,
  });
  const element = h('div', { class: 'delivery-log', dataset: { testid: 'delivery-log' } },
    h('h4', { id: captionId }, 'Deliveries (latest 50)'), box, redeliverForm(endpoint, () => poller.refresh()));
  poller.start();
  return { element, stop: () => poller.stop() };
}
