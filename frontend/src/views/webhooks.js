// Webhooks (the admin role): the registered endpoints with their state and delivery logs, and the form that
// registers one (its signing secret is shown once). Every committed event and service-level alert of the
// chosen types is sent to each enabled endpoint, signed.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { notAvailable, sayIn } from '../admin.js';
import { h, mount } from '../dom.js';
import { errorBox, focusTitle, loading, pageTitle } from '../ui.js';
import { endpointCard } from '../webhooks/endpoint.js';
import { webhookForm } from '../webhooks/form.js';
import { eventTypes } from '../webhooks/model.js';
import { showSecretOnce } from '../webhooks/secret.js';

export function renderWebhooks(root, ctx, schema) {
  if (!auth.hasRole('admin')) return notAvailable(root, 'the webhooks page');
  const types = eventTypes(schema);
  let disposed = false;
  let cards = [];
  const outcome = h('div', { class: 'outcome', role: 'status', 'aria-live': 'polite', dataset: { testid: 'outcome' } });
  const list = h('div', { class: 'endpoints', dataset: { testid: 'endpoints' } }, loading('Loading the endpoints…'));

  async function load(said = null) {
    try {
      const answer = await api.listWebhooks();
      if (disposed) return;
      const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
      const open = new Set(cards.filter((c) => c.logOpen()).map((c) => c.id));
      cards.forEach((c) => c.dispose());
      cards = (answer.endpoints || []).map((e) => ({ id: e.id, ...endpointCard(e, { types, changed: (text) => load(text) }) }));
      mount(list, cards.length ? cards.map((c) => c.element)
        : h('p', { class: 'muted', dataset: { testid: 'endpoints-none' } }, 'No endpoint yet: register one below to send events to a partner.'));
      for (const c of cards) if (open.has(c.id)) c.openLog();
      const again = focused ? list.querySelector(`[data-focus-key="${focused}"]`) : null;
      if (again) again.focus();
      if (said) sayIn(outcome, said);
    } catch (err) {
      if (disposed) return;
      mount(list, errorBox(err, () => load(), 'The endpoints could not be loaded'));
    }
  }

  const register = h('section', { class: 'card', 'aria-labelledby': 'register-title' }, h('h2', { id: 'register-title' }, 'Register an endpoint'));
  function drawRegister() {
    const form = webhookForm({
      types, submitLabel: 'Register',
      send: (body) => api.createWebhook(body),
      sent: (answer) => {
        drawRegister();
        load(`Registered ${answer.endpoint.url}.`);
        showSecretOnce({ secret: answer.secret, url: answer.endpoint.url, returnTo: () => document.getElementById('register-title') });
      },
    });
    form.id = 'webhook-register';
    mount(register, h('h2', { id: 'register-title', tabindex: '-1' }, 'Register an endpoint'), form);
  }
  drawRegister();

  mount(root, pageTitle('Webhooks'),
    h('p', { class: 'muted' }, 'Partners receive the help desk\u2019s events as signed JSON (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature), at least once and in order per ticket, retried with growing pauses. An endpoint that keeps failing is disabled until it is enabled again here.'),
    outcome,
    h('section', { 'aria-labelledby': 'endpoints-title' },
      h('div', { class: 'projection-head' }, h('h2', { id: 'endpoints-title' }, 'Endpoints'),
        h('button', { type: 'button', class: 'btn btn-small', dataset: { testid: 'endpoints-refresh' }, onclick: () => load('The list is up to date.') }, 'Refresh')),
      list),
    register);
  focusTitle();
  load();
  return () => {
    disposed = true;
    cards.forEach((c) => c.dispose());
    for (const dialog of document.querySelectorAll('dialog.modal[open]')) dialog.close();
  };
}
