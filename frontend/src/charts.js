// Small hand-made SVG charts: horizontal bars and grouped columns. Each comes with a data table fallback.

import { h, s } from './dom.js';
import { humanize } from './format.js';

/** Horizontal bars: [{label, value, className?}] */
export function barChart(rows, { title, valueLabel = (v) => String(v) } = {}) {
  const max = Math.max(1, ...rows.map((r) => r.value ?? 0));
  const labelW = 130;
  const barW = 300;
  const rowH = 28;
  const width = labelW + barW + 50;
  const height = rows.length * rowH + 8;
  const svg = s('svg', { class: 'chart chart-bars', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': title });
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const value = r.value ?? 0;
    const w = Math.max(value > 0 ? 2 : 0, (value / max) * barW);
    svg.append(
      s('text', { x: labelW - 8, y: y + rowH / 2 + 4, class: 'chart-label', 'text-anchor': 'end' }, r.label),
      s('rect', { x: labelW, y: y + 4, width: barW, height: rowH - 10, class: 'chart-track', rx: 3 }),
      s('rect', { x: labelW, y: y + 4, width: w, height: rowH - 10, class: ['chart-bar', r.className], rx: 3 },
        s('title', null, `${r.label}: ${r.value === null ? 'no data' : valueLabel(r.value)}`)),
      s('text', { x: labelW + w + 6, y: y + rowH / 2 + 4, class: 'chart-value' }, r.value === null ? '—' : valueLabel(r.value)),
    );
  });
  return svg;
}

/** Grouped columns per category: categories [{label, values: {series: n}}], series [{key, label, className}] */
export function columnChart(categories, series, { title } = {}) {
  const max = Math.max(1, ...categories.flatMap((c) => series.map((se) => c.values[se.key] || 0)));
  const left = 34;
  const bottom = 34;
  const top = 10;
  const plotH = 170;
  const groupW = Math.max(22, Math.min(56, 640 / Math.max(1, categories.length)));
  const barW = Math.max(6, (groupW - 8) / series.length);
  const width = left + categories.length * groupW + 10;
  const height = top + plotH + bottom;
  const w = Math.max(width, 240);
  const svg = s('svg', { class: 'chart chart-columns', viewBox: `0 0 ${w} ${height}`, width: w, height, role: 'img', 'aria-label': title });
  const ticks = niceTicks(max);
  for (const t of ticks) {
    const y = top + plotH - (t / ticks[ticks.length - 1]) * plotH;
    svg.append(s('line', { x1: left, x2: width - 4, y1: y, y2: y, class: 'chart-grid' }),
      s('text', { x: left - 6, y: y + 4, class: 'chart-axis', 'text-anchor': 'end' }, String(t)));
  }
  const top_ = ticks[ticks.length - 1];
  const every = Math.ceil(categories.length / 10);
  categories.forEach((c, i) => {
    const gx = left + i * groupW + 4;
    series.forEach((se, j) => {
      const v = c.values[se.key] || 0;
      const hgt = (v / top_) * plotH;
      svg.append(s('rect', { x: gx + j * barW, y: top + plotH - hgt, width: barW - 2, height: hgt, class: ['chart-bar', se.className], rx: 2 },
        s('title', null, `${c.label} — ${se.label}: ${v}`)));
    });
    if (i % every === 0) {
      svg.append(s('text', { x: gx + (groupW - 8) / 2, y: top + plotH + 16, class: 'chart-axis', 'text-anchor': 'middle' }, c.short || c.label));
    }
  });
  svg.append(s('line', { x1: left, x2: width - 4, y1: top + plotH, y2: top + plotH, class: 'chart-baseline' }));
  return svg;
}

function niceTicks(max) {
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
  const step = steps.find((st) => max / st <= 5) || Math.ceil(max / 5);
  const ticks = [];
  for (let t = 0; t <= max + step - 1 && ticks.length < 8; t += step) ticks.push(t);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

export function legend(series) {
  return h('ul', { class: 'chart-legend' }, series.map((se) => h('li', null, h('span', { class: ['swatch', se.className], 'aria-hidden': 'true' }), se.label)));
}

/** A visually hidden (but toggleable) table with the numbers behind a chart. */
export function dataTable(caption, headers, rows) {
  return h('details', { class: 'chart-data' },
    h('summary', null, 'Show the numbers'),
    h('table', { class: 'table compact' },
      h('caption', { class: 'sr-only' }, caption),
      h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', null, c))))))));
}

export { humanize };
