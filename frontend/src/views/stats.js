// Stats: tickets per place, created and resolved per day (days of the viewer's time zone), median times to first
// response and resolution.

import { getStats } from '../api.js';
import { barChart, columnChart, dataTable, legend } from '../charts.js';
import { h, mount } from '../dom.js';
import { formatDuration, humanize } from '../format.js';
import * as live from '../live.js';
import { errorBox, loading, pageTitle } from '../ui.js';

const DAY_MS = 86400000;

/** The viewer's IANA time zone ("Europe/Berlin"), or null if the browser does not say. */
export function viewerZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/** The last n days up to the latest one reported, with the days without tickets filled in as zeros. */
function lastDays(perDay, n) {
  if (!perDay.length) return [];
  const byDay = new Map(perDay.map((d) => [d.day, d]));
  const last = perDay.map((d) => d.day).sort().at(-1);
  const end = Date.parse(`${last}T00:00:00Z`);
  const first = Date.parse(`${perDay.map((d) => d.day).sort()[0]}T00:00:00Z`);
  const start = Math.min(end - (n - 1) * DAY_MS, Math.max(first, end - 59 * DAY_MS));
  const days = [];
  for (let t = start; t <= end; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    days.push(byDay.get(day) || { day, created: 0, resolved: 0 });
  }
  return days;
}

export function renderStats(root, ctx, schema) {
  let disposed = false;
  const body = h('div', { 'aria-live': 'polite' }, loading('Loading the numbers…'));

  // Days are counted in the viewer's zone; if the server does not know it, in UTC, and the page says so.
  let zone = viewerZone() || 'UTC';
  let zoneRefused = false;

  async function load() {
    try {
      let stats;
      try {
        stats = await getStats({ days: 30, tz: zone });
      } catch (err) {
        if (err.status !== 422 || zone === 'UTC') throw err;
        zoneRefused = true;
        zone = 'UTC';
        stats = await getStats({ days: 30, tz: zone });
      }
      if (!disposed) draw(stats);
    } catch (err) {
      if (!disposed) mount(body, errorBox(err, load, err.status === 403 ? 'Stats are for agents and above' : 'Stats could not be loaded'));
    }
  }

  function kpi(label, value, id) {
    // The label comes first for screen readers; the figure shows on top.
    return h('dl', { class: 'kpi', dataset: { kpi: id } }, h('dt', { class: 'kpi-label' }, label), h('dd', { class: 'kpi-value' }, value));
  }

  function draw(stats) {
    const byPlace = stats.by_place || {};
    const placeRows = schema.places.map((p) => ({ label: humanize(p.name), value: byPlace[p.name] || 0, className: `fill-${p.name}` }));
    const days = lastDays(stats.per_day || [], 14);
    const series = [
      { key: 'created', label: 'Created', className: 'fill-created' },
      { key: 'resolved', label: 'Resolved', className: 'fill-resolved' },
    ];
    const categories = days.map((d) => ({ label: d.day, short: d.day.slice(5), values: d }));
    const fr = stats.median_first_response_seconds;
    const res = stats.median_resolution_seconds;
    const times = [
      { label: 'First response', value: fr ?? null, className: 'fill-created' },
      { label: 'Resolution', value: res ?? null, className: 'fill-resolved' },
    ];
    mount(body,
      h('div', { class: 'kpis' },
        kpi('Tickets in total', String(stats.total ?? 0), 'total'),
        kpi('Open escalations', String(stats.open_escalations ?? 0), 'escalations'),
        kpi('Median time to first response', formatDuration(fr), 'first-response'),
        kpi('Median time to resolution', formatDuration(res), 'resolution')),
      h('div', { class: 'two-col' },
        h('section', { class: 'card' }, h('h2', null, 'Tickets per place'),
          barChart(placeRows, { title: 'Tickets per place' }),
          dataTable('Tickets per place', ['Place', 'Tickets'], placeRows.map((r) => [r.label, String(r.value)]))),
        h('section', { class: 'card' }, h('h2', null, 'Time to first response and to resolution'),
          fr === null && res === null
            ? h('p', { class: 'muted' }, 'No ticket has been answered or resolved yet.')
            : barChart(times, { title: 'Median times', valueLabel: (v) => formatDuration(v) }),
          h('p', { class: 'muted small' }, 'Medians over all tickets.'))),
      h('section', { class: 'card', 'aria-labelledby': 'per-day-title' }, h('h2', { id: 'per-day-title' }, 'Created and resolved per day'),
        h('p', { class: 'muted small', id: 'stats-zone', dataset: { zone } },
          zoneRefused
            ? `Days in UTC: the server does not know your time zone (${viewerZone()}).`
            : `Days in ${zone === 'UTC' ? 'UTC' : `your time zone, ${zone}`}, from midnight to midnight.`),
        days.length
          ? [legend(series), h('div', { class: 'chart-scroll' }, columnChart(categories, series, { title: 'Tickets created and resolved per day' })),
            dataTable('Created and resolved per day', ['Day', 'Created', 'Resolved'], days.map((d) => [d.day, String(d.created), String(d.resolved)]))]
          : h('p', { class: 'muted' }, 'No tickets yet.')));
  }

  const stopLive = live.reloadOnChange(load, { pauseMs: 500 });
  mount(root, pageTitle('Stats'), body);
  load();
  return () => {
    disposed = true;
    stopLive();
  };
}
