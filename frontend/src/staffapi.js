// Reads the shared client (api.js) has no function for yet: the staff directory and stats in a time zone.
// Same rules as api.js: bearer token, X-Min-Position read-your-writes, errors as ApiError, one retry on
// 503 projection_behind.

import { ApiError, apiUrl, currentMinPosition, getToken } from './api.js';

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

async function getJson(path, params, retries = 1) {
  const headers = { Accept: 'application/json' };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const min = currentMinPosition();
  if (min > 0) headers['X-Min-Position'] = String(min);
  let response;
  try {
    response = await fetch(apiUrl(path + query(params)), { headers, cache: 'no-store' });
  } catch {
    throw new ApiError(0, null, 'The server cannot be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = response.ok ? null : { message: `The server answered ${response.status} instead of the help desk API.` };
  }
  if (response.ok) return body;
  const error = body && body.error && typeof body.error === 'object' ? body.error : body;
  if (response.status === 503 && error && error.code === 'projection_behind' && retries > 0) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return getJson(path, params, retries - 1);
  }
  throw new ApiError(response.status, error);
}

/** GET /api/people?role=&q= -> {items: [{id, roles, first_seen, last_seen, actions}]} (staff only). */
export function getPeople(params) {
  return getJson('/api/people', params);
}

/** GET /api/stats?days=&tz= : per_day counted in that IANA time zone. */
export function getStats(params) {
  return getJson('/api/stats', params);
}
