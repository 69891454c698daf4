// The workflow drawn as a Petri net from /api/schema: places (circles), transitions (bars), arcs, and the
// current marking as tokens. Enabled transitions are highlighted; those this user may fire are clickable.

import { h, s, uid } from './dom.js';
import { humanize } from './format.js';

const COL = 96; // distance between layers
const ROW = 92; // minimum distance between nodes of one layer
const R = 22; // place radius
const TW = 14; // transition width
const TH = 46; // transition height
const PAD = 34;

/** Layered layout: break cycles by depth-first search from the initially marked place, longest-path layers. */
export function layout(schema) {
  const places = schema.places.map((p, i) => ({ id: p.name, kind: 'place', index: i, data: p }));
  const transitions = schema.transitions.map((t, i) => ({ id: t.name, kind: 'transition', index: i + places.length, data: t }));
  const nodes = new Map([...places, ...transitions].map((n) => [`${n.kind}:${n.id}`, n]));
  const key = (name, kind) => `${kind}:${name}`;
  const placeNames = new Set(schema.places.map((p) => p.name));
  const edges = (schema.arcs || []).map((a) => {
    const fromPlace = placeNames.has(a.from);
    return {
      from: fromPlace ? key(a.from, 'place') : key(a.from, 'transition'),
      to: fromPlace ? key(a.to, 'transition') : key(a.to, 'place'),
      weight: a.weight || 1,
    };
  });
  const out = new Map([...nodes.keys()].map((k) => [k, []]));
  for (const e of edges) out.get(e.from) && out.get(e.from).push(e);

  // Depth-first search marks back edges (the ones closing a cycle).
  const state = new Map();
  const roots = places.filter((p) => p.data.initial > 0).map((p) => key(p.id, 'place'));
  const order = [...roots, ...nodes.keys()];
  function dfs(k) {
    state.set(k, 1);
    for (const e of out.get(k) || []) {
      const st = state.get(e.to);
      if (st === 1) e.back = true;
      else if (!st) dfs(e.to);
    }
    state.set(k, 2);
  }
  for (const k of order) if (!state.get(k)) dfs(k);

  // Longest path over forward edges.
  const layer = new Map([...nodes.keys()].map((k) => [k, 0]));
  const forward = edges.filter((e) => !e.back);
  for (let i = 0; i < nodes.size; i += 1) {
    let changed = false;
    for (const e of forward) {
      if (layer.get(e.to) < layer.get(e.from) + 1) {
        layer.set(e.to, layer.get(e.from) + 1);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const layers = [];
  for (const [k, l] of layer) (layers[l] = layers[l] || []).push(nodes.get(k));

  // Vertical positions: follow the predecessors, keep at least ROW apart.
  const preds = new Map([...nodes.keys()].map((k) => [k, []]));
  for (const e of forward) preds.get(e.to).push(e.from);
  const y = new Map();
  for (const group of layers) {
    if (!group) continue;
    const desired = group.map((n) => {
      const k = key(n.id, n.kind);
      const ys = preds.get(k).map((p) => y.get(p)).filter((v) => v !== undefined);
      return { n, k, want: ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0 };
    });
    desired.sort((a, b) => a.want - b.want || a.n.index - b.n.index);
    const placed = [];
    for (const d of desired) {
      const prev = placed[placed.length - 1];
      placed.push({ ...d, at: prev ? Math.max(d.want, prev.at + ROW) : d.want });
    }
    const shift = placed.reduce((a, p) => a + (p.want - p.at), 0) / placed.length;
    for (const p of placed) y.set(p.k, p.at + shift);
  }

  const minY = Math.min(...y.values());
  const maxY = Math.max(...y.values());
  for (const [k, n] of nodes) {
    n.x = PAD + R + layer.get(k) * COL;
    n.y = y.get(k) - minY + PAD + R + 10;
  }
  const bottom = maxY - minY + PAD + R + 10 + R + 26; // below the lowest label
  let depth = bottom + 8;
  const span = (e) => Math.abs(layer.get(e.from) - layer.get(e.to));
  for (const e of edges.filter((x) => x.back).sort((p, q) => span(p) - span(q))) {
    e.depth = depth;
    depth += 26;
  }
  const width = PAD * 2 + R * 2 + (layers.length - 1) * COL;
  const height = depth + 6;
  return { nodes: [...nodes.values()], edges, width, height, nodeOf: (k) => nodes.get(k) };
}

function labelLines(name) {
  const words = humanize(name).split(' ');
  if (words.length === 1 || humanize(name).length <= 11) return [humanize(name)];
  const mid = Math.ceil(words.length / 2);
  return [words.slice(0, mid).join(' '), words.slice(mid).join(' ')];
}

function edgePath(a, b, e) {
  const ax = a.x + (a.kind === 'place' ? R : TW / 2);
  const bx = b.x - (b.kind === 'place' ? R : TW / 2);
  if (!e.back) {
    // Aim at the node's edge; when target is above/below, enter at the side.
    const dy = b.y - a.y;
    if (Math.abs(dy) < 1) return `M${ax},${a.y} L${bx - 2},${b.y}`;
    const mx = (ax + bx) / 2;
    return `M${ax},${a.y} C${mx},${a.y} ${mx},${b.y} ${bx - 2},${b.y}`;
  }
  // Back edges run below the net and come up into the target's lower left, clear of its label.
  const sy = a.y + (a.kind === 'place' ? R : TH / 2);
  const d = e.depth;
  const ex = b.x - (b.kind === 'place' ? R * 0.71 : TW / 2) - 3;
  const ey = b.y + (b.kind === 'place' ? R * 0.71 : TH / 2) + 3;
  const lane = b.x - 44;
  return `M${a.x},${sy} C${a.x},${d} ${a.x},${d} ${a.x - 24},${d} L${lane + 16},${d} Q${lane},${d} ${lane},${d - 16} L${lane},${ey + 18} L${ex},${ey}`;
}

/**
 * Draw the net. options: {state: {place: tokens}, enabled: [...], available: [...], onFire(name), title}
 * Returns a <figure> with the SVG and a text summary for assistive technology.
 */
export function renderNet(schema, { state = null, enabled = [], available = [], onFire = null, title = 'Workflow' } = {}) {
  const g = layout(schema);
  const enabledSet = new Set(enabled);
  const availableSet = new Set(available);
  const titleId = uid('net-title');
  const descId = uid('net-desc');
  const marker = uid('arrow');
  const markerOn = uid('arrow-on');
  const marked = state ? Object.entries(state).filter(([, n]) => n > 0).map(([p]) => p) : [];

  const svg = s('svg', {
    class: 'net',
    viewBox: `0 0 ${g.width} ${g.height}`,
    width: g.width,
    height: g.height,
    role: 'group',
    'aria-labelledby': titleId,
    'aria-describedby': descId,
  },
  s('title', { id: titleId }, title),
  s('desc', { id: descId }, summaryText(marked, enabled, available)),
  s('defs', null,
    s('marker', { id: marker, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' })),
    s('marker', { id: markerOn, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead arrowhead-on' }))));

  const arcs = s('g', { class: 'arcs', 'aria-hidden': 'true' });
  for (const e of g.edges) {
    const a = g.nodeOf(e.from);
    const b = g.nodeOf(e.to);
    if (!a || !b) continue;
    const t = a.kind === 'transition' ? a.id : b.id;
    const on = enabledSet.has(t);
    arcs.append(s('path', { d: edgePath(a, b, e), class: ['arc', on && 'arc-on', e.back && 'arc-back'], 'marker-end': `url(#${on ? markerOn : marker})` }));
    if (e.weight > 1) arcs.append(s('text', { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 6, class: 'weight' }, String(e.weight)));
  }
  svg.append(arcs);

  for (const n of g.nodes) {
    if (n.kind === 'place') {
      const tokens = state ? state[n.id] || 0 : n.data.initial || 0;
      const group = s('g', { class: ['node', 'place', tokens > 0 && 'marked'], dataset: { place: n.id }, 'aria-hidden': 'true' },
        s('title', null, `${humanize(n.id)}: ${n.data.description || ''}${tokens ? ` (${tokens} token${tokens > 1 ? 's' : ''})` : ''}`),
        s('circle', { cx: n.x, cy: n.y, r: R, class: 'place-shape' }));
      if (tokens === 1) group.append(s('circle', { cx: n.x, cy: n.y, r: 7, class: 'token' }));
      else if (tokens > 1) group.append(s('text', { x: n.x, y: n.y + 5, class: 'token-count' }, String(tokens)));
      labelLines(n.id).forEach((line, i) => group.append(s('text', { x: n.x, y: n.y + R + 14 + i * 13, class: 'label' }, line)));
      svg.append(group);
    } else {
      const on = enabledSet.has(n.id);
      const mine = availableSet.has(n.id);
      const roles = (n.data.roles || []).join(', ');
      const clickable = mine && typeof onFire === 'function';
      const group = s('g', {
        class: ['node', 'transition', on && 'enabled', mine && 'available', clickable && 'clickable'],
        dataset: { transition: n.id },
        role: clickable ? 'button' : null,
        tabindex: clickable ? 0 : null,
        // The accessible name is the visible label; the <title> (its description) says what a click does.
        'aria-label': clickable ? humanize(n.id) : null,
        'aria-hidden': clickable ? null : 'true',
      },
      s('title', null, `${humanize(n.id)}: ${n.data.description || ''}${roles ? ` — roles: ${roles}` : ''}${on ? ' — enabled now' : ''}${clickable ? ' — opens its form' : ''}`),
      s('rect', { x: n.x - TW / 2, y: n.y - TH / 2, width: TW, height: TH, rx: 3, class: 'transition-shape' }));
      // One <text> of lines (a space between them), so its text reads as the name it shows: "Request info".
      const lines = labelLines(n.id);
      group.append(s('text', { x: n.x, y: n.y - TH / 2 - 8 - (lines.length - 1) * 13, class: 'label' },
        lines.map((line, i) => s('tspan', { x: n.x, dy: i ? 13 : 0 }, i < lines.length - 1 ? `${line} ` : line))));
      if (clickable) {
        group.addEventListener('click', () => onFire(n.id));
        group.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            onFire(n.id);
          }
        });
      }
      svg.append(group);
    }
  }

  const legend = h('ul', { class: 'net-legend', 'aria-hidden': 'true' },
    h('li', null, h('span', { class: 'lg lg-place' }), 'Place'),
    h('li', null, h('span', { class: 'lg lg-token' }), 'Current marking (token)'),
    h('li', null, h('span', { class: 'lg lg-transition' }), 'Transition'),
    h('li', null, h('span', { class: 'lg lg-enabled' }), 'Enabled now'),
    available.length ? h('li', null, h('span', { class: 'lg lg-available' }), 'You may fire it') : null);

  return h('figure', { class: 'net-figure' },
    h('div', { class: 'net-scroll', tabindex: '0', 'aria-label': `${title} (scrolls sideways on narrow screens)` }, svg),
    legend,
    h('figcaption', { class: 'sr-only' }, summaryText(marked, enabled, available)));
}

function summaryText(marked, enabled, available) {
  if (!marked.length && !enabled.length) return 'The net with its initial marking.';
  const parts = [];
  if (marked.length) parts.push(`Token in: ${marked.map(humanize).join(', ')}.`);
  parts.push(enabled.length ? `Enabled transitions: ${enabled.map(humanize).join(', ')}.` : 'No transition is enabled.');
  if (available.length) parts.push(`You may fire: ${available.map(humanize).join(', ')}.`);
  return parts.join(' ');
}
