import assert from 'node:assert/strict';
import test from 'node:test';

import { formatDate, refreshDelay, timeAgo } from '../src/format.js';
import { conversationEntries } from '../src/ticket/entries.js';

test('absolute times carry their zone', () => {
  const iso = '2026-11-28T07:05:00Z';
  assert.equal(formatDate(iso, { locale: 'en-GB', timeZone: 'Europe/Berlin' }), '28 Nov 2026, 08:05 CET');
  assert.equal(formatDate(iso, { locale: 'en-GB', timeZone: 'UTC' }), '28 Nov 2026, 07:05 UTC');
  assert.match(formatDate(iso, { locale: 'en-US', timeZone: 'America/New_York' }), /EST$/);
  assert.equal(formatDate(null), '—');
});

test('relative times are computed against the clock they are given', () => {
  const at = Date.parse('2026-11-28T07:00:00Z');
  const iso = new Date(at).toISOString();
  assert.equal(timeAgo(iso, at + 10_000, 'en'), 'now');
  assert.equal(timeAgo(iso, at + 5 * 60_000, 'en'), '5 minutes ago');
  assert.equal(timeAgo(iso, at + 3 * 3_600_000, 'en'), '3 hours ago');
  assert.equal(timeAgo(iso, at + 26 * 3_600_000, 'en'), 'yesterday');
  assert.equal(timeAgo(iso, at + 70 * 86_400_000, 'en'), '2 months ago');
  assert.equal(timeAgo('not a time', at, 'en'), '');
});

test('the page clock ticks often for recent times and rarely for old ones', () => {
  const at = Date.parse('2026-11-28T07:00:00Z');
  assert.equal(refreshDelay(new Date(at).toISOString(), at + 60_000), 15_000);
  assert.equal(refreshDelay(new Date(at).toISOString(), at + 2 * 3_600_000), 60_000);
  assert.equal(refreshDelay(new Date(at).toISOString(), at + 3 * 86_400_000), 3_600_000);
});

test('the conversation starts with the description and interleaves notes by time, for staff only', () => {
  const ticket = {
    requester: 'cus', description: 'It is broken', created_at: '2026-11-28T07:00:00Z',
    messages: [
      { author: 'ann', kind: 'reply', body: 'On it', at: '2026-11-28T07:10:00Z', staff: true },
      { author: 'cus', kind: 'reply', body: 'Thanks', at: '2026-11-28T07:30:00Z', staff: false },
    ],
    notes: [{ author: 'ann', kind: 'note', body: 'Looks like the VPN', at: '2026-11-28T07:20:00Z', staff: true }],
  };
  const staff = conversationEntries(ticket, true);
  assert.deepEqual(staff.map((e) => e.body), ['It is broken', 'On it', 'Looks like the VPN', 'Thanks']);
  assert.deepEqual(staff.map((e) => e.internal), [false, false, true, false]);
  assert.equal(staff[0].kind, 'opened');
  const customer = conversationEntries(ticket, false);
  assert.deepEqual(customer.map((e) => e.body), ['It is broken', 'On it', 'Thanks']);
});
