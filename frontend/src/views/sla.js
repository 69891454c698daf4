// Service levels (the admin role): the policy per priority and the business-hours calendar, saved whole with
// PUT /api/sla/policy and the version it was edited from (a 409 says someone else changed it meanwhile). What is
// typed is kept as a draft (drafts.js) until it is saved or discarded.

import * as api from '../api.js';
import * as auth from '../auth.js';
import { notAvailable, sayIn } from '../admin.js';
import { h, mount } from '../dom.js';
import { openDrafts } from '../drafts.js';
import { formFromPolicy, policyBody, policyProblems, PRIORITIES, saveErrorText } from '../sla/policy-form.js';
import { policyFields } from '../sla/policy-fields.js';
import { errorBox, focusTitle, formErrorArea, loading, pageTitle, timeEl } from '../ui.js';

const SCOPE = 'sla-policy';
const FIELD = 'form';

function timeZones() {
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [here];
  return { here, zones: [...new Set(['UTC', ...all])] };
}

export function renderSla(root, ctx, schema) {
  if (!auth.hasRole('admin')) return notAvailable(root, 'the service-level policy');
  const me = auth.current().sub;
  const drafts = openDrafts(me);
  const enumOf = schema && schema.create_schema?.properties?.priority?.enum;
  const priorities = Array.isArray(enumOf) && enumOf.length ? enumOf : PRIORITIES;
  const { here, zones } = timeZones();
  let disposed = false;
  let current = null; // the answer of GET /api/sla/policy
  let base = 0; // the version the form was edited from

  const status = h('p', { class: 'muted', dataset: { testid: 'sla-version' } });
  const notice = h('div', { role: 'status', 'aria-live': 'polite' });
  const body = h('div', null, loading('Loading the policy…'));
  const outcome = h('div', { class: 'outcome', role: 'status', 'aria-live': 'polite', dataset: { testid: 'outcome' } });

  function drawStatus() {
    mount(status, current.version
      ? ['Version ', String(current.version), current.updated_by ? `, changed by ${current.updated_by}` : '', current.updated_at ? [' ', timeEl(current.updated_at)] : '', '.']
      : 'No policy yet: no ticket has a deadline until one is saved.');
  }

  function drawForm(state, { restored = false } = {}) {
    const errors = formErrorArea();
    errors.dataset.testid = 'sla-errors';
    const save = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { testid: 'sla-save' } }, 'Save policy');
    const discard = h('button', { type: 'button', class: 'btn', dataset: { testid: 'sla-discard' } }, 'Discard changes');
    const keep = () => drafts.set(SCOPE, FIELD, JSON.stringify({ version: base, state: fields.read() }));
    const fields = policyFields(state, { priorities, zones, changed: keep });
    const form = h('form', { id: 'sla-policy', class: 'card stack', novalidate: true, 'aria-label': 'Service-level policy' },
      fields.element, errors, h('div', { class: 'actions-row' }, save, discard));
    form.addEventListener('input', keep);
    form.addEventListener('change', keep);
    discard.addEventListener('click', () => {
      drafts.clear(SCOPE, FIELD);
      base = current.version;
      drawForm(formFromPolicy(current.policy, { priorities, timeZone: here }));
      sayIn(outcome, 'Your changes were discarded: the form shows the saved policy.');
      form.querySelector('input')?.focus();
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (save.disabled) return;
      sayIn(outcome, null);
      const state = fields.read();
      const problems = policyProblems(state, { priorities, zones });
      const first = fields.mark(problems);
      if (problems.length) {
        errors.hidden = false;
        mount(errors, h('p', { class: 'error-message' }, problems.length === 1 ? 'The policy was not saved:' : `The policy was not saved (${problems.length} problems):`),
          h('ul', null, problems.map((p) => h('li', { dataset: { field: p.field } }, p.message))));
        (first || errors).focus();
        return;
      }
      errors.hidden = true;
      save.disabled = true;
      save.textContent = 'Saving…';
      try {
        const answer = await api.putSlaPolicy(policyBody(state, base, { priorities }));
        drafts.clear(SCOPE, FIELD);
        current = { ...current, version: answer.version, policy: answer.policy, updated_by: me, updated_at: new Date().toISOString() };
        base = answer.version;
        drawStatus();
        sayIn(outcome, `Saved: version ${answer.version}. Tickets' deadlines follow the new policy.`);
      } catch (err) {
        const { text, reload } = saveErrorText(err);
        errors.hidden = false;
        mount(errors, h('p', { class: 'error-message' }, text),
          reload ? h('button', { type: 'button', class: 'btn', dataset: { testid: 'sla-reload' }, onclick: () => {
            drafts.clear(SCOPE, FIELD);
            load({ announceReload: true });
          } }, 'Load the current policy') : null);
        errors.focus();
      } finally {
        save.disabled = false;
        save.textContent = 'Save policy';
      }
    });
    mount(body, form);
    mount(notice, restored
      ? h('p', { class: 'notice', dataset: { testid: 'sla-draft' } }, `Your unsaved changes are back (edited from version ${base}). Save them, or discard them to see the saved policy.`)
      : null);
  }

  async function load({ announceReload = false } = {}) {
    try {
      const answer = await api.getSlaPolicy();
      if (disposed) return;
      current = answer;
      drawStatus();
      let kept = null;
      try {
        kept = JSON.parse(drafts.get(SCOPE, FIELD) || 'null');
      } catch {
        kept = null;
      }
      if (kept && kept.state && kept.state.targets) {
        base = kept.version;
        drawForm(kept.state, { restored: true });
      } else {
        base = answer.version;
        drawForm(formFromPolicy(answer.policy, { priorities, timeZone: here }));
      }
      if (announceReload) sayIn(outcome, `The current policy (version ${answer.version}) is loaded.`);
    } catch (err) {
      if (!disposed) mount(body, errorBox(err, () => load(), 'The policy could not be loaded'));
    }
  }

  mount(root, pageTitle('Service levels'),
    h('p', { class: 'muted' }, 'How long first responses and resolutions may take, per priority. Each ticket\u2019s clocks are measured against this policy; a clock pauses while the ticket waits for the customer.'),
    status, notice, outcome, body);
  focusTitle();
  load();
  return () => {
    disposed = true;
  };
}
