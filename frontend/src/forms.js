// Form fields built from a JSON schema (the pydantic schemas /api/schema publishes for each command's data), and
// counters where a limit applies (a paste over it is told, never cut). What a form does when it sends is in
// sending.js.

import { h, uid } from './dom.js';
import { humanize } from './format.js';
import { formatCount, validationText } from './words.js';

// Free-text audit notes every command accepts: shown after the fields that matter for the action.
const SECONDARY_FIELDS = new Set(['note']);
const LONG_TEXT = 300; // strings that may be longer than this get a textarea

/** The non-null branch of an Optional field (anyOf [{...}, {type: null}]). */
function resolve(prop) {
  if (prop && Array.isArray(prop.anyOf)) {
    const branch = prop.anyOf.find((p) => p.type !== 'null') || {};
    return { ...branch, title: prop.title, description: prop.description, default: prop.default };
  }
  return prop || {};
}

/**
 * A character counter under a text control with a limit. The limit is shown from the start ("0 / 2,000"); past
 * it the counter says by how much, and a paste that goes over is announced. The control keeps all the text
 * (no maxlength attribute, which would cut a paste silently); sending is stopped with a message instead.
 */
export function attachCounter(control, max) {
  const id = uid('counter');
  const counter = h('p', { class: 'counter', id, dataset: { testid: 'counter' } });
  const told = h('p', { class: 'counter-told', role: 'status', 'aria-live': 'polite' });
  control.dataset.maxlength = String(max);
  const described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  control.setAttribute('aria-describedby', [...described, id].join(' '));
  let pasted = false;
  function update() {
    const n = control.value.length;
    const over = n - max;
    counter.textContent = over > 0
      ? `${formatCount(n)} / ${formatCount(max)} characters: ${formatCount(over)} too many`
      : `${formatCount(n)} / ${formatCount(max)} characters`;
    counter.classList.toggle('over', over > 0);
    counter.classList.toggle('near', over <= 0 && n >= max * 0.9);
    if (over > 0) control.setAttribute('aria-invalid', 'true');
    else if (control.getAttribute('aria-invalid') === 'true' && !control.dataset.apiInvalid) control.removeAttribute('aria-invalid');
    if (pasted) {
      told.textContent = over > 0
        ? `The pasted text makes ${formatCount(n)} characters, ${formatCount(over)} more than the ${formatCount(max)} allowed. Nothing was cut: shorten it before sending.`
        : '';
      pasted = false;
    } else if (over <= 0) {
      told.textContent = '';
    }
  }
  control.addEventListener('paste', () => {
    pasted = true;
  });
  control.addEventListener('input', update);
  control.addEventListener('counter:update', update);
  update();
  return h('div', { class: 'counter-box' }, counter, told);
}

/** The first text control of the form over its limit, as {control, message}; null when all fit. */
export function overLimit(form) {
  for (const control of form.querySelectorAll('[data-maxlength]')) {
    const max = Number(control.dataset.maxlength);
    if (control.value.length > max) {
      const field = control.dataset.label || control.name;
      return { control, message: validationText(field, `String should have at most ${max} characters`) };
    }
  }
  return null;
}

function fieldFor(name, raw, required, options) {
  const prop = resolve(raw);
  const id = uid(`f-${name}`);
  const hintId = `${id}-hint`;
  const words = options.words ? options.words(name) : null;
  const labelText = (words && words.label) || prop.title || humanize(name);
  const hintText = words && words.hint !== null && words.hint !== undefined ? words.hint : prop.description;
  const label = h('label', { for: id }, labelText, required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
  const common = {
    id,
    name,
    required: required || undefined,
    'aria-describedby': hintText ? hintId : undefined,
    dataset: { field: name, label: labelText },
  };
  let control;
  let counter = null;
  if (Array.isArray(prop.enum)) {
    control = h('select', common,
      prop.enum.map((v) => h('option', { value: v, selected: v === prop.default }, humanize(v))));
  } else if (prop.type === 'integer' || prop.type === 'number') {
    control = h('input', { ...common, type: 'number', min: prop.minimum, max: prop.maximum, step: prop.type === 'integer' ? 1 : 'any' });
  } else if (prop.type === 'boolean') {
    control = h('input', { ...common, type: 'checkbox', checked: prop.default === true });
  } else {
    const long = !prop.maxLength || prop.maxLength > LONG_TEXT;
    const attrs = { ...common, minlength: prop.minLength, placeholder: options.placeholders[name] };
    control = long
      ? h('textarea', { ...attrs, rows: SECONDARY_FIELDS.has(name) ? 2 : 4 })
      : h('input', { ...attrs, type: 'text', autocomplete: 'off', list: options.datalists[name] });
    if (typeof prop.default === 'string' && prop.default) control.value = prop.default;
    if (options.values[name] !== undefined) control.value = options.values[name];
    if (prop.maxLength) counter = attachCounter(control, prop.maxLength);
  }
  return h('div', { class: ['field', prop.type === 'boolean' && 'field-check', SECONDARY_FIELDS.has(name) && 'field-secondary'], dataset: { name } },
    label, control, hintText ? h('p', { id: hintId, class: 'hint' }, hintText) : null, counter, options.extras[name] || null);
}

/**
 * Build the fields of a JSON schema object. Returns {fields: Node[], read(): data}.
 * read() leaves out empty optional values, so the API applies its defaults.
 * Options: omit (field names), placeholders, datalists (id of a <datalist> per field), values (initial values),
 * extras (a node shown under a field), words(name) -> {label, hint} overriding the schema's wording.
 */
export function schemaFields(schema, { omit = [], placeholders = {}, datalists = {}, values = {}, extras = {}, words = null } = {}) {
  const props = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const names = Object.keys(props).filter((n) => !omit.includes(n));
  names.sort((a, b) => Number(SECONDARY_FIELDS.has(a)) - Number(SECONDARY_FIELDS.has(b)));
  const fields = names.map((n) => fieldFor(n, props[n], required.has(n), { placeholders, datalists, values, extras, words }));

  function read(form) {
    const data = {};
    for (const name of names) {
      const el = form.elements.namedItem(name);
      if (!el) continue;
      const prop = resolve(props[name]);
      if (prop.type === 'boolean') {
        data[name] = el.checked;
      } else if (prop.type === 'integer' || prop.type === 'number') {
        if (el.value !== '') data[name] = Number(el.value);
      } else {
        const value = el.value.trim();
        if (value !== '' || required.has(name)) data[name] = value;
      }
    }
    return data;
  }
  return { fields, read, names };
}
