// Forms built from a JSON schema (the pydantic schemas /api/schema publishes for each command's data).

import { h, uid } from './dom.js';
import { humanize } from './format.js';

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

function fieldFor(name, raw, required, options) {
  const prop = resolve(raw);
  const id = uid(`f-${name}`);
  const hintId = `${id}-hint`;
  const label = h('label', { for: id }, prop.title || humanize(name), required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
  const common = {
    id,
    name,
    required: required || undefined,
    'aria-describedby': prop.description ? hintId : undefined,
    dataset: { field: name },
  };
  let control;
  if (Array.isArray(prop.enum)) {
    control = h('select', common,
      prop.enum.map((v) => h('option', { value: v, selected: v === prop.default }, humanize(v))));
  } else if (prop.type === 'integer' || prop.type === 'number') {
    control = h('input', { ...common, type: 'number', min: prop.minimum, max: prop.maximum, step: prop.type === 'integer' ? 1 : 'any' });
  } else if (prop.type === 'boolean') {
    control = h('input', { ...common, type: 'checkbox', checked: prop.default === true });
  } else {
    const long = !prop.maxLength || prop.maxLength > LONG_TEXT;
    const attrs = { ...common, maxlength: prop.maxLength, minlength: prop.minLength, placeholder: options.placeholders[name] };
    control = long ? h('textarea', { ...attrs, rows: SECONDARY_FIELDS.has(name) ? 2 : 4 }) : h('input', { ...attrs, type: 'text', autocomplete: 'off', list: options.datalists[name] });
    if (typeof prop.default === 'string' && prop.default) control.value = prop.default;
  }
  return h('div', { class: ['field', prop.type === 'boolean' && 'field-check'] },
    label, control, prop.description ? h('p', { id: hintId, class: 'hint' }, prop.description) : null);
}

/**
 * Build the fields of a JSON schema object. Returns {fields: Node[], read(): data}.
 * read() leaves out empty optional values, so the API applies its defaults.
 */
export function schemaFields(schema, { omit = [], placeholders = {}, datalists = {} } = {}) {
  const props = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const names = Object.keys(props).filter((n) => !omit.includes(n));
  names.sort((a, b) => Number(SECONDARY_FIELDS.has(a)) - Number(SECONDARY_FIELDS.has(b)));
  const fields = names.map((n) => fieldFor(n, props[n], required.has(n), { placeholders, datalists }));

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

/** Show the API's refusal next to the form, and mark the field it names. */
export function showFormError(form, box, err) {
  box.replaceChildren();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (!err) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.append(h('strong', null, err.status === 0 ? 'Not sent. ' : 'Refused. '), err.message || String(err));
  const field = err.field ? String(err.field).replace(/^data\./, '') : null;
  const el = field ? form.elements.namedItem(field) : null;
  if (el && el.setAttribute) {
    el.setAttribute('aria-invalid', 'true');
    el.focus();
  } else {
    box.focus();
  }
}
