// The queue's bulk actions: checkboxes, "select all on this page", and "Assign to…" / "Close" on the selected
// tickets. Each ticket is its own command (with the version the list showed and its own Idempotency-Key), a
// few at a time; every ticket's outcome is listed: done, or refused with the plain reason.

import * as api from '../api.js';
import { allPeople } from '../directory.js';
import { h, mount } from '../dom.js';
import { humanize, shortId } from '../format.js';
import { announce } from '../ui.js';
import * as unread from '../unread.js';
import { BULK_CONCURRENCY, refusalReason, runBulk } from './bulk.js';

function label(t) {
  return `#${shortId(t.aggregate_id)} ${t.subject || '(no subject)'}`;
}

export class BulkActions {
  constructor({ me, onSelectionChange, onDone }) {
    this.me = me;
    this.onSelectionChange = onSelectionChange;
    this.onDone = onDone;
    this.selected = new Map(); // id -> ticket as the list last showed it
    this.running = false;
    this.disposed = false;
    this.selectAll = null;
    this.pageItems = [];
    this.people = null; // the staff directory's agents ({ids, complete}), fetched when the picker first opens

    this.count = h('span', { class: 'bulk-count', role: 'status' });
    this.assignButton = h('button', { type: 'button', class: 'btn btn-small', id: 'bulk-assign', 'aria-expanded': 'false', 'aria-controls': 'bulk-picker', onclick: () => this.togglePicker() }, 'Assign to…');
    this.closeButton = h('button', { type: 'button', class: 'btn btn-small', id: 'bulk-close', onclick: () => this.run('close') }, 'Close');
    this.clearButton = h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => this.clear() }, 'Clear selection');
    this.picker = h('div', { class: 'bulk-picker', id: 'bulk-picker', hidden: true });
    this.bar = h('div', { class: 'bulk-bar', role: 'region', 'aria-label': 'Bulk actions on the selected tickets', hidden: true },
      this.count, this.assignButton, this.closeButton, this.clearButton, this.picker);
    this.results = h('section', { class: 'bulk-results', id: 'bulk-results', 'aria-labelledby': 'bulk-results-title', hidden: true });
  }

  // ---- selection ------------------------------------------------------------------------------------
  isSelected(id) {
    return this.selected.has(id);
  }

  ticket(id) {
    return this.selected.get(id) || null;
  }

  toggle(t, on = !this.selected.has(t.aggregate_id)) {
    if (on) this.selected.set(t.aggregate_id, t);
    else this.selected.delete(t.aggregate_id);
    this.changed();
  }

  clear() {
    if (!this.selected.size) return;
    this.selected.clear();
    this.changed();
  }

  /** After a reload: keep the selected tickets still listed, with their fresh versions; drop the others. */
  keepOnly(items) {
    this.pageItems = items;
    const fresh = new Map(items.map((t) => [t.aggregate_id, t]));
    let dropped = false;
    for (const id of [...this.selected.keys()]) {
      if (fresh.has(id)) this.selected.set(id, fresh.get(id));
      else {
        this.selected.delete(id);
        dropped = true;
      }
    }
    if (dropped) this.changed();
    else this.drawBar();
  }

  changed() {
    this.drawBar();
    this.onSelectionChange();
  }

  checkbox(t) {
    return h('input', {
      type: 'checkbox', class: 'select-ticket', checked: this.selected.has(t.aggregate_id),
      'aria-label': `Select ${label(t)}`, dataset: { select: t.aggregate_id },
      onchange: (e) => this.toggle(t, e.target.checked),
    });
  }

  selectAllBox(items) {
    this.pageItems = items;
    this.selectAll = h('input', {
      type: 'checkbox', id: 'select-all', 'aria-label': 'Select all tickets on this page',
      onchange: (e) => {
        for (const t of this.pageItems) {
          if (e.target.checked) this.selected.set(t.aggregate_id, t);
          else this.selected.delete(t.aggregate_id);
        }
        this.changed();
      },
    });
    this.syncSelectAll();
    return this.selectAll;
  }

  syncSelectAll() {
    if (!this.selectAll || !this.selectAll.isConnected) return;
    const on = this.pageItems.filter((t) => this.selected.has(t.aggregate_id)).length;
    this.selectAll.checked = on > 0 && on === this.pageItems.length;
    this.selectAll.indeterminate = on > 0 && on < this.pageItems.length;
  }

  drawBar() {
    const n = this.selected.size;
    this.bar.hidden = n === 0;
    this.count.textContent = n === 1 ? '1 ticket selected' : `${n} tickets selected`;
    for (const b of [this.assignButton, this.closeButton]) b.disabled = this.running || n === 0;
    if (!n) this.hidePicker();
  }

  // ---- the assignee picker --------------------------------------------------------------------------
  togglePicker() {
    if (this.picker.hidden) this.showPicker();
    else this.hidePicker(true);
  }

  hidePicker(returnFocus = false) {
    this.picker.hidden = true;
    this.assignButton.setAttribute('aria-expanded', 'false');
    if (returnFocus) this.assignButton.focus();
  }

  async showPicker() {
    this.picker.hidden = false;
    this.assignButton.setAttribute('aria-expanded', 'true');
    const select = h('select', { id: 'bulk-assignee', name: 'assignee' },
      h('option', { value: this.me }, `Me (${this.me})`));
    const status = h('span', { class: 'muted small', role: 'status' }, this.people ? '' : 'Loading the staff…');
    const go = h('button', { type: 'button', class: 'btn btn-small btn-primary', id: 'bulk-assign-go', onclick: () => {
      const field = this.picker.querySelector('[name=assignee]');
      const who = field.value.trim();
      if (!who) {
        field.focus();
        return;
      }
      this.hidePicker();
      this.run('assign', who);
    } }, 'Assign');
    const cancel = h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => this.hidePicker(true) }, 'Cancel');
    mount(this.picker, h('label', { for: 'bulk-assignee' }, 'Assign to'), select, go, cancel, status);
    select.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.hidePicker(true);
    });
    select.focus();
    try {
      if (!this.people) {
        const { items, complete } = await allPeople(api.getPeople, { role: 'agent' });
        this.people = { ids: items.map((p) => p.id), complete };
      }
      if (this.disposed || this.picker.hidden) return;
      for (const id of this.people.ids) if (id !== this.me) select.append(h('option', { value: id }, id));
      status.textContent = this.people.complete ? '' : `Showing the first ${this.people.ids.length} agents of the staff directory.`;
    } catch (err) {
      if (this.disposed || this.picker.hidden) return;
      // Without the directory a user name can still be typed; the API refuses anyone who is not staff.
      const input = h('input', { type: 'text', id: 'bulk-assignee', name: 'assignee', value: this.me, autocomplete: 'off', maxlength: 200 });
      select.replaceWith(input);
      status.textContent = `The staff list is unavailable (${err.message}); type a user name.`;
      input.focus();
      input.select();
    }
  }

  // ---- running --------------------------------------------------------------------------------------
  async run(transition, assignee) {
    if (this.running || !this.selected.size) return;
    const tickets = [...this.selected.values()];
    this.running = true;
    this.drawBar();
    const what = transition === 'assign' ? `Assign to ${assignee === this.me ? `me (${assignee})` : assignee}` : humanize(transition);
    const rows = new Map(tickets.map((t) => [t.aggregate_id, h('li', { class: 'bulk-result pending', dataset: { ticketId: t.aggregate_id } },
      h('span', { class: 'outcome' }, 'Waiting'), h('span', { class: 'what' }, label(t)))]));
    const summary = h('p', { class: 'muted small', role: 'status' }, `Working on ${tickets.length}…`);
    const dismiss = h('button', { type: 'button', class: 'btn btn-small btn-ghost', onclick: () => {
      this.results.hidden = true;
    } }, 'Dismiss');
    mount(this.results, h('h2', { id: 'bulk-results-title' }, h('span', null, `${what}: ${tickets.length} ticket${tickets.length === 1 ? '' : 's'}`), dismiss),
      summary, h('ul', null, [...rows.values()]));
    this.results.hidden = false;

    const data = transition === 'assign' ? { assignee } : undefined;
    let done = 0;
    let refused = 0;
    await runBulk(tickets, async (t) => {
      const answer = await api.fireTransition(transition, t.aggregate_id, data, t.version, api.newIdempotencyKey());
      // An own change keeps a ticket read if it was read before.
      unread.ownChange(t, answer.version);
      return answer;
    }, {
      concurrency: BULK_CONCURRENCY,
      onResult: (r) => {
        const li = rows.get(r.item.aggregate_id);
        const outcome = li.querySelector('.outcome');
        li.classList.remove('pending');
        if (r.ok) {
          done += 1;
          li.classList.add('ok');
          outcome.textContent = 'Done';
          li.append(h('span', { class: 'muted small' }, `now ${humanize(r.value.place).toLowerCase()}`));
        } else {
          refused += 1;
          li.classList.add('refused');
          outcome.textContent = 'Refused';
          li.append(h('span', { class: 'reason' }, refusalReason(r.error, r.item, data)));
        }
      },
    });
    if (this.disposed) return;
    this.running = false;
    const text = `${done} done, ${refused} refused.`;
    summary.textContent = text;
    announce(`${what}: ${text}`, refused ? 'error' : 'success');
    // The done ones leave the selection; the refused stay selected for another try.
    for (const [id, li] of rows) if (li.classList.contains('ok')) this.selected.delete(id);
    this.changed();
    this.onDone();
  }

  dispose() {
    this.disposed = true;
  }
}
