// Formatting of names, dates and durations for people.

/** "pending_customer" -> "Pending customer" */
export function humanize(name) {
  if (!name) return '';
  const text = String(name).replace(/[_-]+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// Absolute times carry their zone ("28 Nov 2026, 09:05 CET"): dateStyle/timeStyle cannot be combined with
// timeZoneName, so the parts are named one by one.
const ABSOLUTE = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };
const absoluteFormats = new Map();

function absoluteFormat(locale, timeZone) {
  const key = `${locale || ''}|${timeZone || ''}`;
  let format = absoluteFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, timeZone ? { ...ABSOLUTE, timeZone } : ABSOLUTE);
    absoluteFormats.set(key, format);
  }
  return format;
}

/** An ISO time as a date and time with the zone; "—" when there is none. */
export function formatDate(value, { locale, timeZone } = {}) {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : absoluteFormat(locale, timeZone).format(d);
}

const relatives = new Map();
function relativeFormat(locale) {
  let format = relatives.get(locale || '');
  if (!format) {
    format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    relatives.set(locale || '', format);
  }
  return format;
}

/** "3 minutes ago", "yesterday", "in 2 hours" (relative to now, which the page clock moves). */
export function timeAgo(value, now = Date.now(), locale = undefined) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  const relative = relativeFormat(locale);
  const seconds = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(0, 'second');
  if (abs < 2700) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 79200) return relative.format(Math.round(seconds / 3600), 'hour');
  if (abs < 86400 * 30) return relative.format(Math.round(seconds / 86400), 'day');
  if (abs < 86400 * 365) return relative.format(Math.round(seconds / (86400 * 30)), 'month');
  return relative.format(Math.round(seconds / (86400 * 365)), 'year');
}

/** How long until a relative time next reads differently: the page clock ticks no more often than needed. */
export function refreshDelay(value, now = Date.now()) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return Infinity;
  const abs = Math.abs(now - d.getTime()) / 1000;
  if (abs < 2700) return 15_000;
  if (abs < 79200) return 60_000;
  return 3_600_000;
}

/** 5400 -> "1 h 30 min" */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

export function shortId(id) {
  return id ? String(id).slice(0, 8) : '';
}
