// The fields of the service-level policy form: a table of targets per priority (first response, resolution,
// warning percent) and the business-hours calendar (time zone, working days, hours, holidays). Builds them from
// the form's state (policy-form.js), reads the state back, and marks the fields a check names.

import { h, mount, uid } from '../dom.js';
import { humanize } from '../format.js';
import { DAYS, minutesHint } from './policy-form.js';

const COLUMNS = [
  ['first_response_minutes', 'First response (min)'],
  ['resolution_minutes', 'Resolution (min)'],
  ['warning_percent', 'Warning at (% of target)'],
];

function targetsTable(state, priorities) {
  const colIds = Object.fromEntries(COLUMNS.map(([name]) => [name, uid(`col-${name}`)]));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table compact sla-targets' },
    h('caption', { class: 'sr-only' }, 'Targets per priority'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Priority'),
      COLUMNS.map(([name, label]) => h('th', { scope: 'col', id: colIds[name] }, label)))),
    h('tbody', null, priorities.map((p) => {
      const rowId = uid(`row-${p}`);
      return h('tr', { dataset: { priority: p } }, h('th', { scope: 'row', id: rowId }, humanize(p)),
        COLUMNS.map(([name]) => {
          const hintId = uid('hint');
          const input = h('input', {
            type: 'number', inputmode: 'numeric', min: 1, max: name === 'warning_percent' ? 99 : undefined, step: 1,
            name: `${p}.${name}`, value: state.targets[p][name], 'aria-labelledby': `${rowId} ${colIds[name]}`,
            'aria-describedby': name === 'warning_percent' ? undefined : hintId, class: 'num-input',
          });
          const hint = name === 'warning_percent' ? null : h('span', { class: 'hint small', id: hintId }, minutesHint(input.value));
          if (hint) input.addEventListener('input', () => { hint.textContent = minutesHint(input.value); });
          return h('td', null, input, hint);
        }));
    }))));
}

function holidayItem(day, onRemove) {
  return h('li', { dataset: { holiday: day } }, h('span', null, day), ' ',
    h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Remove the holiday ${day}`, onclick: () => onRemove(day) }, 'Remove'));
}

function calendarFields(state, zones, changed) {
  const box = h('div', { class: 'sla-calendar stack', hidden: !state.business_hours });
  const zoneId = uid('tz');
  const zone = h('select', { id: zoneId, name: 'time_zone' },
    [...new Set([...zones, state.time_zone])].map((z) => h('option', { value: z, selected: z === state.time_zone }, z)));
  const days = h('fieldset', { class: 'sla-days', dataset: { field: 'days' } }, h('legend', null, 'Working days'),
    DAYS.map(([n, name]) => {
      const id = uid(`day-${n}`);
      return h('span', { class: 'check' }, h('input', { type: 'checkbox', id, name: 'days', value: String(n), checked: state.days.includes(n) }),
        h('label', { for: id }, name));
    }));
  const startId = uid('start');
  const endId = uid('end');
  let holidays = [...state.holidays];
  const list = h('ul', { class: 'sla-holidays', dataset: { testid: 'holidays' } });
  const remove = (day) => {
    holidays = holidays.filter((d) => d !== day);
    drawHolidays();
    changed();
    addInput.focus(); // the removed button is gone: focus goes to the field that adds one
  };
  function drawHolidays() {
    mount(list, holidays.length ? holidays.map((d) => holidayItem(d, remove)) : h('li', { class: 'muted small' }, 'No holidays.'));
  }
  const addId = uid('holiday');
  const addInput = h('input', { type: 'date', id: addId, name: 'holiday_new' });
  const add = h('button', { type: 'button', class: 'btn', dataset: { testid: 'holiday-add' }, onclick: () => {
    const day = addInput.value;
    if (!day || holidays.includes(day)) return;
    holidays = [...holidays, day].sort();
    addInput.value = '';
    drawHolidays();
    changed();
  } }, 'Add holiday');
  addInput.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.ctrlKey || event.metaKey) return;
    event.preventDefault(); // Enter adds the day; it does not save the whole policy
    add.click();
  });
  drawHolidays();
  mount(box,
    h('div', { class: 'field' }, h('label', { for: zoneId }, 'Time zone'), zone,
      h('p', { class: 'hint' }, 'Working hours and holidays are counted in this zone.')),
    days,
    h('div', { class: 'two-fields' },
      h('div', { class: 'field' }, h('label', { for: startId }, 'Working day starts'), h('input', { type: 'time', id: startId, name: 'start', value: state.start })),
      h('div', { class: 'field' }, h('label', { for: endId }, 'Working day ends'), h('input', { type: 'time', id: endId, name: 'end', value: state.end }))),
    h('fieldset', { dataset: { field: 'holidays' } }, h('legend', null, 'Holidays (no clock runs on these days)'), list,
      h('div', { class: 'actions-row' }, h('label', { for: addId, class: 'sr-only' }, 'Holiday to add'), addInput, add)));
  return { box, holidays: () => holidays };
}

/**
 * The form's fields for `state`; `changed()` is called after any change. Returns {element, read(), mark(problems)}.
 */
export function policyFields(state, { priorities, zones, changed }) {
  const hoursId = uid('hours');
  const hours = h('input', { type: 'checkbox', id: hoursId, name: 'business_hours', checked: state.business_hours });
  const calendar = calendarFields(state, zones, changed);
  hours.addEventListener('change', () => { calendar.box.hidden = !hours.checked; });
  const element = h('div', { class: 'stack' },
    h('section', { 'aria-labelledby': 'sla-targets-title' }, h('h2', { id: 'sla-targets-title' }, 'Targets'),
      h('p', { class: 'hint' }, 'In minutes, per priority. Leave both empty for no deadline.'), targetsTable(state, priorities),
      h('p', { class: 'hint' }, 'A ticket turns to “Due soon” once the warning share of its target has passed, and to “Breached” at the deadline.')),
    h('section', { 'aria-labelledby': 'sla-hours-title' }, h('h2', { id: 'sla-hours-title' }, 'Business hours'),
      h('div', { class: 'field' }, h('span', { class: 'check' }, hours, h('label', { for: hoursId }, 'Count only business hours')),
        h('p', { class: 'hint' }, 'Unticked, the clocks run round the clock, every day.')),
      calendar.box));
  const form = () => element.closest('form');

  function read() {
    const f = form();
    const value = (name) => (f.elements.namedItem(name) ? f.elements.namedItem(name).value : '');
    const targets = {};
    for (const p of priorities) {
      targets[p] = Object.fromEntries(COLUMNS.map(([name]) => [name, value(`${p}.${name}`)]));
    }
    return {
      targets,
      business_hours: hours.checked,
      time_zone: value('time_zone'),
      days: [...f.querySelectorAll('input[name=days]:checked')].map((el) => Number(el.value)),
      start: value('start'),
      end: value('end'),
      holidays: calendar.holidays(),
    };
  }

  function mark(problems) {
    const f = form();
    for (const el of f.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    let first = null;
    for (const { field } of problems) {
      const el = f.elements.namedItem(field) || f.querySelector(`[data-field="${field}"] input`);
      const target = el && el.length !== undefined && !el.tagName ? el[0] : el;
      if (!target) continue;
      target.setAttribute('aria-invalid', 'true');
      if (!first) first = target;
    }
    return first;
  }

  return { element, read, mark };
}
