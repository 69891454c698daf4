// One registered endpoint: its address, state (enabled, or disabled and why), event types, failure streak and
// last delivery; Disable/Enable, Edit…, Delete… (confirmed) and its delivery log, unfolded on demand.

import * as api from '../api.js';
import { sayIn } from '../admin.js';
import { h, mount } from '../dom.js';
import { modalButtons, openModal } from '../system/modal.js';
import { timeEl } from '../ui.js';
import { formatCount } from '../words.js';
import { deliveryLog } from './deliveries.js';
import { webhookForm } from './form.js';
import { endpointState, typeLabel, webhookErrorText } from './model.js';

function figures(rows) {
  return h('dl', { class: 'figures' }, rows.map(([label, value, testid]) => h('div', { class: 'figure' },
    h('dt', null, label), h('dd', { dataset: testid ? { testid } : {} }, value))));
}

/**
 * The card of `endpoint`. `types` are the event types offered; `changed(text)` is called after an action changed
 * it (the page reloads the list and says `text`). Returns {element, dispose}.
 */
export function endpointCard(endpoint, { types, changed }) {
  const state = endpointState(endpoint);
  const key = (what) => `${what}-${endpoint.id}`;
  const titleId = `endpoint-${endpoint.id}`;
  const outcome = h('div', { class: 'outcome', role: 'status', 'aria-live': 'polite' });
  const logBox = h('div');
  let log = null;
  const fail = (err) => sayIn(outcome, webhookErrorText(err), 'error');

  // Busy is said with aria-disabled, not disabled: a disabled button would lose the keyboard's focus.
  const toggle = h('button', { type: 'button', class: 'btn', dataset: { focusKey: key('toggle'), testid: 'webhook-toggle' }, onclick: async () => {
    if (toggle.getAttribute('aria-disabled') === 'true') return;
    toggle.setAttribute('aria-disabled', 'true');
    try {
      await api.updateWebhook(endpoint.id, { enabled: !endpoint.enabled });
      changed(endpoint.enabled ? `${endpoint.url} is disabled: nothing is sent to it until it is enabled.` : `${endpoint.url} is enabled again.`);
    } catch (err) {
      fail(err);
      toggle.removeAttribute('aria-disabled');
    }
  } }, endpoint.enabled ? 'Disable' : 'Enable');

  const edit = h('button', { type: 'button', class: 'btn', 'aria-haspopup': 'dialog', dataset: { focusKey: key('edit'), testid: 'webhook-edit' }, onclick: () => {
    openModal({
      title: 'Edit the endpoint',
      returnTo: () => document.querySelector(`[data-focus-key="${key('edit')}"]`),
      content: (close) => webhookForm({
        types, endpoint, submitLabel: 'Save', cancel: close,
        send: (body) => api.updateWebhook(endpoint.id, body),
        sent: () => {
          close();
          changed('The endpoint is saved.');
        },
      }),
    });
  } }, 'Edit…');

  const remove = h('button', { type: 'button', class: 'btn btn-danger-outline', 'aria-haspopup': 'dialog', dataset: { focusKey: key('delete'), testid: 'webhook-delete' }, onclick: () => {
    openModal({
      title: 'Delete this endpoint?',
      returnTo: () => document.getElementById('page-title'),
      content(close) {
        const submit = h('button', { type: 'submit', class: 'btn btn-danger', dataset: { testid: 'webhook-delete-confirm' } }, 'Delete');
        const form = h('form', { class: 'stack' },
          h('p', null, 'Nothing more is sent to ', h('span', { class: 'mono wrap' }, endpoint.url), ', and its delivery log is removed. This cannot be undone: to send to it again, register it anew (with a new secret).'),
          modalButtons(submit, close));
        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          submit.disabled = true;
          try {
            await api.deleteWebhook(endpoint.id);
            close();
            changed(`The endpoint ${endpoint.url} is deleted.`);
          } catch (err) {
            close();
            fail(err);
          }
        });
        return form;
      },
    });
  } }, 'Delete…');

  const logButton = h('button', { type: 'button', class: 'btn', 'aria-expanded': 'false', 'aria-controls': `log-${endpoint.id}`, dataset: { focusKey: key('log'), testid: 'webhook-log' } }, 'Show deliveries');
  logBox.id = `log-${endpoint.id}`;
  logButton.addEventListener('click', () => {
    if (log) {
      log.stop();
      log = null;
      mount(logBox);
    } else {
      log = deliveryLog(endpoint);
      mount(logBox, log.element);
    }
    logButton.setAttribute('aria-expanded', String(Boolean(log)));
    logButton.textContent = log ? 'Hide deliveries' : 'Show deliveries';
  });

  const element = h('section', { class: 'card endpoint', 'aria-labelledby': titleId, dataset: { endpoint: endpoint.id, enabled: String(endpoint.enabled) } },
    h('div', { class: 'projection-head' },
      h('h3', { id: titleId, class: 'mono wrap' }, endpoint.url),
      h('span', { class: `state-badge tone-${state.tone}`, dataset: { testid: 'webhook-state' } }, h('span', { class: 'state-symbol', 'aria-hidden': 'true' }, state.symbol), state.label)),
    state.why ? h('p', { class: 'small', dataset: { testid: 'disabled-reason' } }, h('strong', null, 'Why: '), state.why) : null,
    endpoint.description ? h('p', { class: 'muted' }, endpoint.description) : null,
    figures([
      ['Event types', endpoint.event_types.map(typeLabel).join(', '), 'webhook-types'],
      ['Failures in a row', formatCount(endpoint.failure_streak || 0), 'failure-streak'],
      ['Last delivery', endpoint.last_delivery_at ? timeEl(endpoint.last_delivery_at) : 'none yet', 'last-delivery'],
      ['Registered', [timeEl(endpoint.created_at), endpoint.created_by ? ` by ${endpoint.created_by}` : '']],
    ]),
    h('div', { class: 'actions-row' }, toggle, edit, remove, logButton),
    outcome, logBox);
  return { element, dispose: () => log && log.stop(), logOpen: () => Boolean(log), openLog: () => logButton.click() };
}
