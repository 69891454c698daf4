// The assignee field's directory on the assign form: a <datalist> of the agents whose name starts with what is
// typed (GET /api/people?role=agent&q=..., one page: the directory may hold thousands), and a line saying whether
// the name typed is one of them.

import * as api from '../api.js';
import { agentsHint, directoryLookup } from '../directory.js';
import { h, mount, uid } from '../dom.js';
import { humanize } from '../format.js';

/** The assignee field's directory: a <datalist> of agents from GET /api/people?role=agent&q=, and a check. */
export function assigneePicker() {
  const listId = uid('agents');
  const datalist = h('datalist', { id: listId });
  const status = h('p', { class: 'hint picker-status', role: 'status', 'aria-live': 'polite' });
  let input = null;
  const directory = directoryLookup(api.getPeople, {
    params: { role: 'agent' },
    onAnswer(answer) {
      if (!input || input.value.trim() !== answer.text) return; // typed on since: the next answer comes
      mount(datalist, answer.items.map((p) => h('option', { value: p.id }, (p.roles || []).map(humanize).join(', '))));
      const hint = agentsHint(answer);
      status.textContent = hint.text;
      status.classList.toggle('warn', hint.warn);
    },
    onError() {
      status.textContent = 'The staff directory could not be loaded; type the user name.';
      status.classList.remove('warn');
    },
  });
  return {
    listId,
    element: h('div', null, datalist, status),
    attach(control) {
      input = control;
      if (!input) return;
      input.addEventListener('input', () => directory.lookup(input.value));
      directory.lookup(input.value, { now: true });
    },
  };
}
