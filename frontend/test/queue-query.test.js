import assert from 'node:assert/strict';
import test from 'node:test';

import {
  boardPlaces, DEFAULT_SORT, emptyKind, listParams, NO_FILTERS, queryFromUrl, queueTitle, sortColumn, stepIndex,
  urlFromQuery,
} from '../src/queue/query.js';

test('the state read from the URL takes defaults for what is missing, and an unknown view is the table', () => {
  assert.deepEqual(queryFromUrl({}), { place: '', assignee: '', priority: '', sla: '', q: '', sort: DEFAULT_SORT, view: 'table' });
  const q = queryFromUrl({ place: 'escalated', assignee: 'me', priority: 'high', sla: 'breached', q: 'printer', sort: 'updated', view: 'board' });
  assert.deepEqual(q, { place: 'escalated', assignee: 'me', priority: 'high', sla: 'breached', q: 'printer', sort: 'updated', view: 'board' });
  assert.equal(queryFromUrl({ sla: 'late' }).sla, '', 'an unknown deadline status is no filter');
  assert.equal(queryFromUrl({ view: 'grid' }).view, 'table');
});

test('the URL leaves the default sort and view out, and reads back as the same state', () => {
  const plain = queryFromUrl({});
  assert.deepEqual(urlFromQuery(plain), { place: '', assignee: '', priority: '', sla: '', q: '', sort: '', view: '' });
  for (const query of [{}, { sort: 'priority', view: 'board', place: 'new' }, { q: '#867bcdd6', assignee: 'bob' }, { sla: 'warning', sort: 'sla_due' }]) {
    const q = queryFromUrl(query);
    const url = Object.fromEntries(Object.entries(urlFromQuery(q)).filter(([, v]) => v));
    assert.deepEqual(queryFromUrl(url), q, `round trip of ${JSON.stringify(query)}`);
  }
});

test('the list request carries the filters and the sort, never the view', () => {
  const q = queryFromUrl({ place: 'new', q: 'vpn', view: 'board', sort: '-priority' });
  assert.deepEqual(listParams(q, { limit: 25 }), { place: 'new', assignee: '', priority: '', sla: '', q: 'vpn', sort: '-priority', limit: 25 });
  assert.equal(listParams(q, { place: 'closed' }).place, 'closed', 'extra values win (a board column)');
  assert.deepEqual(boardPlaces(q, ['new', 'assigned']), ['new']);
  assert.deepEqual(boardPlaces(queryFromUrl({}), ['new', 'assigned']), ['new', 'assigned']);
});

test('the title names the escalated queue and "Assigned to me" as the navigation does', () => {
  assert.equal(queueTitle(queryFromUrl({}), 'bob'), 'Ticket queue');
  assert.equal(queueTitle(queryFromUrl({ place: 'escalated' }), 'bob'), 'Escalated tickets');
  assert.equal(queueTitle(queryFromUrl({ assignee: 'me' }), 'bob'), 'Assigned to me');
  assert.equal(queueTitle(queryFromUrl({ assignee: 'bob' }), 'bob'), 'Assigned to me');
  assert.equal(queueTitle(queryFromUrl({ assignee: 'carol' }), 'bob'), 'Ticket queue');
  assert.equal(queueTitle(queryFromUrl({ place: 'escalated', assignee: 'me' }), 'bob'), 'Assigned to me');
});

test('a sort header sorts descending first, then ascending, and says which it is', () => {
  assert.deepEqual(sortColumn('-created', 'created'), { active: true, desc: true, ariaSort: 'descending', next: 'created' });
  assert.deepEqual(sortColumn('created', 'created'), { active: true, desc: false, ariaSort: 'ascending', next: '-created' });
  assert.deepEqual(sortColumn('-created', 'priority'), { active: false, desc: true, ariaSort: 'none', next: '-priority' });
  assert.equal(sortColumn('updated', 'priority').next, '-priority');

  assert.equal(sortColumn('-created', 'sla_due').next, 'sla_due', 'the deadline sorts nearest first on the first click');
  assert.deepEqual(sortColumn('sla_due', 'sla_due'), { active: true, desc: false, ariaSort: 'ascending', next: '-sla_due' });
  assert.equal(sortColumn('-sla_due', 'sla_due').next, 'sla_due');
});

test('an empty list says what is empty: a place, a search, the filters, or the whole queue', () => {
  assert.equal(emptyKind(queryFromUrl({ place: 'escalated' })), 'place');
  assert.equal(emptyKind(queryFromUrl({ place: 'escalated', sort: 'updated', view: 'board' })), 'place');
  assert.equal(emptyKind(queryFromUrl({ q: 'printer' })), 'search');
  assert.equal(emptyKind(queryFromUrl({ q: 'printer', place: 'new' })), 'filtered');
  assert.equal(emptyKind(queryFromUrl({ assignee: 'me' })), 'filtered');
  assert.equal(emptyKind(queryFromUrl({ priority: 'low' })), 'filtered');
  assert.equal(emptyKind(queryFromUrl({ sla: 'breached' })), 'filtered');
  assert.equal(emptyKind(queryFromUrl({ place: 'new', sla: 'warning' })), 'filtered');
  assert.equal(emptyKind(queryFromUrl({ sort: 'priority' })), 'empty');
  assert.equal(emptyKind({ ...queryFromUrl({ place: 'new', q: 'x', assignee: 'me' }), ...NO_FILTERS }), 'empty');
});

test('the keyboard starts at the first ticket and stops at either end', () => {
  assert.equal(stepIndex(-1, 1, 3), 0);
  assert.equal(stepIndex(-1, -1, 3), 0);
  assert.equal(stepIndex(0, 1, 3), 1);
  assert.equal(stepIndex(2, 1, 3), 2);
  assert.equal(stepIndex(0, -1, 3), 0);
  assert.equal(stepIndex(-1, 1, 0), -1, 'no ticket: nowhere to go');
});
