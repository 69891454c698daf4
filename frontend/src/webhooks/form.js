// The form that registers or edits a webhook endpoint: its address, the event types it wants (a checklist with
// "All events" and the service-level alerts) and a description. Checks before sending, refusals said in plain
// words next to the field they concern.

import { h, mount, uid } from '../dom.js';
import { attachCounter } from '../forms.js';
import { formErrorArea } from '../ui.js';
import { ALERT_TYPES, ALL, DESCRIPTION_MAX, typeLabel, webhookBody, webhookErrorText, webhookProblems } from './model.js';

function checklist(types, chosen) {
  const all = chosen.includes(ALL);
  const box = (type) => {
    const id = uid('type');
    return h('span', { class: 'check' },
      h('input', { type: 'checkbox', id, name: 'event_types', value: type, checked: all || chosen.includes(type), disabled: type !== ALL && all }),
      h('label', { for: id }, typeLabel(type)));
  };
  const plain = types.filter((t) => !ALERT_TYPES.includes(t));
  const set = h('fieldset', { class: 'event-types', dataset: { field: 'event_types' } },
    h('legend', null, 'Event types'),
    h('div', { class: 'check-all' }, box(ALL)),
    h('div', { class: 'check-grid' }, plain.map(box)),
    h('p', { class: 'hint' }, 'Service-level alerts, raised on time even when no event arrives:'),
    h('div', { class: 'check-grid' }, ALERT_TYPES.map(box)));
  set.addEventListener('change', (e) => {
    if (e.target.value !== ALL) return;
    for (const el of set.querySelectorAll('input[name=event_types]')) {
      if (el.value === ALL) continue;
      el.disabled = e.target.checked;
      if (e.target.checked) el.checked = true;
    }
  });
  return set;
}

/**
 * A form for `endpoint` (null: a new one). `send(body)` resolves to the answer; `sent(answer)` follows it.
 * Returns the <form>.
 */
export function webhookForm({ types, endpoint = null, send, sent, submitLabel, cancel = null }) {
  const urlId = uid('url');
  const descId = uid('desc');
  const url = h('input', { type: 'url', id: urlId, name: 'url', value: endpoint ? endpoint.url : '', autocomplete: 'off', required: true,
    placeholder: 'https://partner.example/hooks/help-desk', 'aria-describedby': `${urlId}-hint`, dataset: { testid: 'webhook-url' } });
  const description = h('input', { type: 'text', id: descId, name: 'description', value: endpoint ? endpoint.description || '' : '', autocomplete: 'off' });
  const errors = formErrorArea();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { testid: 'webhook-submit' } }, submitLabel);
  const form = h('form', { class: 'stack webhook-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: urlId }, 'Address (URL)', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), url,
      h('p', { class: 'hint', id: `${urlId}-hint` }, 'Each event is sent there as a signed JSON POST (Standard Webhooks). Internal addresses are refused.')),
    checklist(types, endpoint ? endpoint.event_types : []),
    h('div', { class: 'field' }, h('label', { for: descId }, 'Description'), description, attachCounter(description, DESCRIPTION_MAX)),
    errors,
    h('div', { class: 'actions-row' }, submit, cancel ? h('button', { type: 'button', class: 'btn', onclick: cancel }, 'Cancel') : null));

  const read = () => ({
    url: url.value,
    event_types: [...form.querySelectorAll('input[name=event_types]:checked')].map((el) => el.value),
    description: description.value,
  });
  const say = (text, field) => {
    errors.hidden = false;
    mount(errors, h('p', { class: 'error-message' }, text));
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const target = field === 'event_types' ? form.querySelector('input[name=event_types]') : form.elements.namedItem(field);
    if (target && field !== 'event_types') target.setAttribute('aria-invalid', 'true');
    (target || errors).focus();
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const values = read();
    const problems = webhookProblems(values);
    if (problems.length) {
      say(problems.map((p) => p.message).join(' '), problems[0].field);
      return;
    }
    errors.hidden = true;
    submit.disabled = true;
    const label = submit.textContent;
    submit.textContent = 'Saving…';
    try {
      const answer = await send(webhookBody(values));
      sent(answer);
    } catch (err) {
      say(webhookErrorText(err), err.code === 'unsafe_url' ? 'url' : err.field && String(err.field).split('.').pop());
    } finally {
      submit.disabled = false;
      submit.textContent = label;
    }
  });
  return form;
}
