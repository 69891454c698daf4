// The workflow on its own: the net, its places, transitions and who may fire each.

import * as auth from '../auth.js';
import { h, mount } from '../dom.js';
import { humanize } from '../format.js';
import { renderNet } from '../net.js';
import { pageTitle } from '../ui.js';

export function renderWorkflow(root, ctx, schema) {
  const mine = schema.transitions.filter((t) => (t.roles || []).some((r) => auth.hasRole(r))).map((t) => t.name);
  mount(root,
    pageTitle('Workflow'),
    h('p', { class: 'muted' }, `The ${schema.name} net: a ticket is a token moving between places; a transition fires when its input place holds the token and the caller has one of its roles.`),
    h('section', { class: 'card' }, renderNet(schema, { title: `The ${schema.name} workflow` })),
    h('div', { class: 'two-col' },
      h('section', { class: 'card' }, h('h2', null, 'Places'),
        h('table', { class: 'table compact' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Place'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'Initial'))),
          h('tbody', null, schema.places.map((p) => h('tr', null, h('th', { scope: 'row' }, humanize(p.name)), h('td', null, p.description), h('td', null, String(p.initial))))))),
      h('section', { class: 'card' }, h('h2', null, 'Transitions'),
        h('table', { class: 'table compact' },
          h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Transition'), h('th', { scope: 'col' }, 'From → to'), h('th', { scope: 'col' }, 'Roles'), h('th', { scope: 'col' }, 'You'))),
          h('tbody', null, schema.transitions.map((t) => h('tr', null,
            h('th', { scope: 'row' }, humanize(t.name)),
            h('td', null, `${t.inputs.map((a) => humanize(a.place)).join(', ')} → ${t.outputs.map((a) => humanize(a.place)).join(', ')}`),
            h('td', null, (t.roles || []).join(', ')),
            h('td', null, mine.includes(t.name) ? 'may fire' : '—'))))))),
    h('section', { class: 'card' }, h('h2', null, 'Roles'),
      h('ul', { class: 'plain' }, schema.roles.map((r) => h('li', null, h('strong', null, humanize(r.name)), ` — ${r.description}`,
        r.inherits.length ? h('span', { class: 'muted' }, ` (inherits ${r.inherits.join(', ')})`) : null)))));
  return null;
}
