// The assignee field's directory on the assign form: a <datalist> of the agents in GET /api/people?role=agent,
// and a line saying whether the name typed is one of them.

import * as api from '../api.js';
import { h, mount, uid } from '../dom.js';
import { humanize } from '../format.js';

/** The assignee field's directory: a <datalist> of agents from GET /api/people?role=agent, and a check. */
export function assigneePicker() {
  const listId = uid('agents');
  const datalist = h('datalist', { id: listId });
  const status = h('p', { class: 'hint picker-status', role: 'status', 'aria-live': 'polite' });
  let known = null;
  let input = null;
  function check() {
    if (!input || !known) return;
    const value = input.value.trim();
    status.textContent = !value || known.has(value)
      ? `${known.size} agent${known.size === 1 ? '' : 's'} in the staff directory.`
      : `“${value}” is not in the staff directory.`;
    status.classList.toggle('warn', Boolean(value) && !known.has(value));
  }
  api.getPeople({ role: 'agent' }).then((answer) => {
    const items = (answer && answer.items) || [];
    known = new Set(items.map((p) => p.id));
    mount(datalist, items.map((p) => h('option', { value: p.id }, (p.roles || []).map(humanize).join(', '))));
    check();
  }).catch(() => {
    status.textContent = 'The staff directory could not be loaded; type the user name.';
  });
  return {
    listId,
    element: h('div', null, datalist, status),
    attach(control) {
      input = control;
      if (!input) return;
      input.addEventListener('input', check);
      check();
    },
  };
}
