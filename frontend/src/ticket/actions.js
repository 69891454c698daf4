// The actions: one button per transition this user may fire now, each opening the form its data schema asks
// for. Forms keep your words: a draft per ticket and field survives Escape (which closes the form and gives focus
// back to its button), reloads, and someone else's change; if that change makes the action impossible, the form
// stays with its text and a calm notice instead of vanishing.

import * as api from '../api.js';
import { h, mount, uid } from '../dom.js';
import { humanize } from '../format.js';
import { schemaFields } from '../forms.js';
import { sendingForm } from '../sending.js';
import { announce, formErrorArea } from '../ui.js';
import { actionWords, customerStatus, fieldWords, statusLabel } from '../words.js';
import { assigneePicker } from './assignee-picker.js';

export function createActions({ id, schema, staff, me, drafts, onDone }) {
  const transitions = new Map(schema.transitions.map((t) => [t.name, t]));
  const section = h('section', { class: 'card actions', 'aria-labelledby': 'actions-title' });
  const buttons = h('div', { class: 'action-buttons', role: 'group', 'aria-labelledby': 'actions-title' });
  const info = h('div', { class: 'action-info' });
  const panel = h('div', { class: 'action-panel', id: uid('action-panel'), hidden: true });
  const outcome = h('div', { class: 'action-outcome', role: 'status', 'aria-live': 'polite' });
  mount(section, h('h2', { id: 'actions-title', tabindex: '-1' }, staff ? 'Actions' : 'What you can do'), buttons, info, panel, outcome);

  let ticket = null;
  let open = null; // {name, form, submit, notice, drafted}
  const buttonByName = new Map();

  function button(name) {
    let b = buttonByName.get(name);
    if (!b) {
      const words = actionWords(name, staff, (transitions.get(name) || {}).description);
      b = h('button', {
        type: 'button', class: 'btn btn-action', dataset: { transition: name }, 'aria-controls': panel.id,
        title: words.hint || '', onclick: () => toggle(name),
      }, words.label, h('span', { class: 'draft-mark', hidden: true }, ' · draft'));
      buttonByName.set(name, b);
    }
    const on = Boolean(open && open.name === name);
    b.setAttribute('aria-expanded', String(on));
    b.classList.toggle('active', on);
    b.querySelector('.draft-mark').hidden = !drafts.has(id, `${name}.`);
    return b;
  }

  function update(next, { by } = {}) {
    ticket = next;
    const available = ticket.available_transitions || [];
    // Buttons are kept across refreshes, so a live update never takes away the one under the pointer or focus.
    const shown = [...buttons.children].map((b) => b.dataset.transition);
    if (shown.join() !== available.join()) mount(buttons, available.map(button));
    else available.forEach(button);

    const parts = [];
    if (!available.length) {
      parts.push(h('p', { class: 'muted', dataset: { testid: 'no-actions' } },
        staff ? 'No action is open to you in this state.' : customerStatus(ticket.place).next || 'Nothing is needed from you now.'));
    }
    const others = (ticket.enabled_transitions || []).filter((t) => !available.includes(t));
    if (staff && others.length) {
      parts.push(h('p', { class: 'muted small' }, 'Waiting for: ',
        others.map((t, i) => [i ? ', ' : '', h('strong', null, humanize(t)), ` (${((schema.permissions || {})[t] || []).join(', ') || 'anyone'})`])));
    }
    mount(info, parts);
    // A customer with nothing to do reads the next step in the status line: no empty card.
    if (!staff) section.hidden = !available.length && !open && !outcome.childNodes.length;
    if (open) checkOpen(by);
  }

  /** The open form against the ticket as it is now: a calm notice and a disabled send while it cannot go. */
  function checkOpen(by) {
    const possible = (ticket.available_transitions || []).includes(open.name);
    open.submit.disabled = !possible;
    if (possible) {
      mount(open.notice);
      open.notice.hidden = true;
      return;
    }
    const words = actionWords(open.name, staff);
    open.notice.hidden = false;
    mount(open.notice, h('p', null,
      h('strong', null, `${words.label} is not possible any more. `),
      `${by ? `${by} changed the ticket: it` : 'The ticket'} is now ${statusLabel(ticket.place, staff)}. `,
      'Your text is kept as a draft; copy it elsewhere or close this form.'));
  }

  function toggle(name) {
    if (open && open.name === name) close({ focus: true });
    else openForm(name);
  }

  function close({ focus = false } = {}) {
    const name = open && open.name;
    open = null;
    panel.hidden = true;
    panel.replaceChildren();
    for (const b of buttonByName.values()) button(b.dataset.transition);
    if (focus) {
      const opener = name && buttons.querySelector(`[data-transition="${name}"]`);
      (opener || section.querySelector('#actions-title')).focus();
    }
  }

  function openForm(name) {
    const t = transitions.get(name);
    const words = actionWords(name, staff, t && t.description);
    mount(outcome);
    const extras = {};
    const datalists = {};
    let picker = null;
    // The net says which field names the new assignee and that it defaults to the caller (effects.assigns).
    const assigns = t && t.effects ? t.effects.assigns : null;
    if (assigns && staff) {
      picker = assigneePicker();
      datalists[assigns] = picker.listId;
      extras[assigns] = picker.element;
    }
    const { fields, read } = schemaFields(t && t.data_schema, {
      omit: staff ? [] : ['note'], // the audit note is for staff: a customer could not read it back
      values: assigns ? { [assigns]: me } : {},
      datalists,
      extras,
      words: (field) => fieldWords(field, staff),
    });
    const errorArea = formErrorArea();
    const notice = h('div', { class: 'notice form-conflict', role: 'status', hidden: true });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, words.label);
    const headingId = uid('form-title');
    const form = h('form', { class: 'stack', novalidate: true, dataset: { transition: name }, 'aria-labelledby': headingId },
      h('h3', { id: headingId }, words.label, words.hint ? h('span', { class: 'muted small' }, ` — ${words.hint}`) : null),
      notice,
      fields.length ? fields : h('p', { class: 'muted' }, 'This action needs no details.'),
      errorArea,
      h('div', { class: 'actions-row' }, submit,
        h('button', { type: 'button', class: 'btn btn-ghost', onclick: () => close({ focus: true }) }, 'Cancel'),
        fields.length ? h('span', { class: 'muted small' }, 'Ctrl+Enter sends · Escape keeps your text') : null));
    sendingForm(form, {
      submit, errorArea, staff, drafts, scope: id, prefix: `${name}.`,
      send: (key) => api.fireTransition(name, id, read(form), ticket.version, key),
      sent: async (answer) => {
        close();
        mount(outcome, h('p', { class: 'success' }, staff
          ? `${words.label}: done. The ticket is now ${humanize(answer.place)}.`
          : `Done. Status: ${statusLabel(answer.place, false)}.`));
        announce(`${words.label}: done`, 'success');
        await onDone(answer);
        const first = buttons.querySelector('button');
        (first || section.querySelector('#actions-title')).focus();
      },
      refused: (err) => {
        if (err.status === 409) onDone(null);
      },
      isOpen: () => Boolean(open && open.form === form),
    });
    if (picker) picker.attach(form.elements.namedItem('assignee'));
    form.addEventListener('input', () => button(name));
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        close({ focus: true });
      }
    });
    open = { name, form, submit, notice };
    mount(panel, form);
    panel.hidden = false;
    for (const b of buttonByName.values()) button(b.dataset.transition);
    if (ticket) checkOpen();
    const firstField = form.querySelector('textarea, input, select');
    (firstField || submit).focus();
  }

  return { element: section, update, open: (name) => openForm(name), outcome };
}
