// The HTTP API client: bearer token, Idempotency-Key on every submit, read-your-writes via X-Min-Position.
// Only the endpoints of docs/api-contract.md are used.

const meta = document.querySelector('meta[name="api-base"]');
const BASE = (meta && meta.content) || '';

let token = null;
let onUnauthorized = () => {};
// Global position of the last event this browser wrote; later reads wait until the projection has it.
let minPosition = 0;

export function setToken(value) {
  token = value || null;
}

export function getToken() {
  return token;
}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export function apiUrl(path) {
  return BASE + path;
}

/** Remember a position the projection must reach before the next read (from a command's answer or the stream). */
export function notePosition(position) {
  const n = Number(position);
  if (Number.isFinite(n) && n > minPosition) minPosition = n;
}

export function currentMinPosition() {
  return minPosition;
}

/** An error answer of the API, in the shared shape {code, message, field?, request_id}. */
export class ApiError extends Error {
  constructor(status, answer, fallback) {
    // The flat shape {code, message, ...}; a body nesting it under "error" is read the same way.
    const body = answer && answer.error && typeof answer.error === 'object' ? answer.error : answer;
    const message = (body && body.message) || fallback || `Request failed (${status})`;
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = (body && body.code) || (status === 0 ? 'network_error' : 'http_error');
    this.field = body && body.field;
    this.requestId = body && body.request_id;
    this.body = body;
  }
}

export function newIdempotencyKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    // Not the API's JSON (a proxy or a static file server answered): say what happened, not its HTML.
    return response.ok ? null : { message: `The server answered ${response.status} ${response.statusText || ''}`.trim() + ' instead of the help desk API.' };
  }
}

async function request(method, path, { body, headers = {}, auth = true, signal, retries = 2, readYourWrites = true } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (auth && token) h.Authorization = `Bearer ${token}`;
  if (method === 'GET' && readYourWrites && minPosition > 0) h['X-Min-Position'] = String(minPosition);

  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    if (retries > 0) {
      // Safe to repeat: GETs are reads and every POST carries its Idempotency-Key.
      await sleep(400);
      return request(method, path, { body, headers, auth, signal, retries: retries - 1, readYourWrites });
    }
    throw new ApiError(0, null, 'The server cannot be reached. Check your connection and try again.');
  }

  const data = await readBody(response);
  if (response.ok) return data;

  if (response.status === 503 && data && data.code === 'projection_behind' && retries > 0) {
    const wait = Number(response.headers.get('Retry-After') || 1);
    await sleep(Math.min(wait, 2) * 1000);
    return request(method, path, { body, headers, auth, signal, retries: retries - 1, readYourWrites });
  }
  if (response.status === 401 && auth && token) onUnauthorized(data);
  throw new ApiError(response.status, data);
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const text = q.toString();
  return text ? `?${text}` : '';
}

// ---- commands -------------------------------------------------------------------------------------------

async function command(path, body, idempotencyKey) {
  const answer = await request('POST', path, {
    body,
    headers: { 'Idempotency-Key': idempotencyKey || newIdempotencyKey() },
  });
  if (answer && answer.position !== undefined) notePosition(answer.position);
  return answer;
}

/** POST /api/support-ticket -> TicketChange */
export function createTicket(data, idempotencyKey) {
  return command('/api/support-ticket', data, idempotencyKey);
}

/** POST /api/{transition} -> TicketChange */
export function fireTransition(transition, aggregateId, data, expectedVersion, idempotencyKey) {
  const body = { aggregate_id: aggregateId };
  if (data && Object.keys(data).length) body.data = data;
  if (expectedVersion !== undefined && expectedVersion !== null) body.expected_version = expectedVersion;
  return command(`/api/${encodeURIComponent(transition)}`, body, idempotencyKey);
}

/** POST /api/support-ticket/{id}/replies: a public reply, by the requester or by staff. */
export function postReply(aggregateId, body, idempotencyKey, expectedVersion) {
  const payload = { body };
  if (expectedVersion !== undefined && expectedVersion !== null) payload.expected_version = expectedVersion;
  return command(`/api/support-ticket/${encodeURIComponent(aggregateId)}/replies`, payload, idempotencyKey);
}

/** POST /api/support-ticket/{id}/notes: an internal note, staff only. */
export function postNote(aggregateId, body, idempotencyKey, expectedVersion) {
  const payload = { body };
  if (expectedVersion !== undefined && expectedVersion !== null) payload.expected_version = expectedVersion;
  return command(`/api/support-ticket/${encodeURIComponent(aggregateId)}/notes`, payload, idempotencyKey);
}

/** POST /api/debug/token (debug mode only) */
export function debugToken(sub, roles, ttlSeconds = 8 * 3600) {
  return request('POST', '/api/debug/token', {
    body: { sub, roles, ttl_seconds: ttlSeconds },
    auth: false,
    headers: { 'Idempotency-Key': newIdempotencyKey() },
  });
}

// ---- queries --------------------------------------------------------------------------------------------

export function getTicket(id, opts) {
  return request('GET', `/api/support-ticket/${encodeURIComponent(id)}`, opts);
}

export function listTickets(params, opts) {
  return request('GET', `/api/support-ticket${query(params)}`, opts);
}

export function getEvents(id, opts) {
  return request('GET', `/api/support-ticket/${encodeURIComponent(id)}/events`, opts);
}

export function getTicketAt(id, version, opts) {
  return request('GET', `/api/support-ticket/${encodeURIComponent(id)}/at/${encodeURIComponent(version)}`, opts);
}

let schemaPromise = null;
/** GET /api/schema, fetched once per page load. */
export function getSchema() {
  if (!schemaPromise) {
    schemaPromise = request('GET', '/api/schema').catch((err) => {
      schemaPromise = null;
      throw err;
    });
  }
  return schemaPromise;
}

/** GET /api/stats?days=30&tz=Europe/Berlin (per_day counted in that zone). */
export function getStats(params, opts) {
  return request('GET', `/api/stats${query(params)}`, opts);
}

/** GET /api/people?role=agent&q=prefix&limit=&cursor=: a page of the staff directory (staff only); next_cursor for the next. */
export function getPeople(params, opts) {
  return request('GET', `/api/people${query(params)}`, opts);
}

// ---- administration (the admin role; served by the projector) -------------------------------------------

/** GET /api/admin/system: relay, consumer group and projections, as they are now (never waits for a position). */
export function getSystem(opts) {
  return request('GET', '/api/admin/system', { ...opts, readYourWrites: false, retries: 0 });
}

/** POST /api/admin/projections/{name}/{action}: retry, skip ({position, reason}) or rebuild; sent once. */
export function adminAction(name, action, body) {
  return request('POST', `/api/admin/projections/${encodeURIComponent(name)}/${action}`, { body, retries: 0 });
}

// ---- service levels, webhooks, personal data (the admin role; the policy is read by all staff) ---------------

/** GET /api/sla/policy -> {version (0: none yet), policy|null, updated_at, updated_by}. */
export function getSlaPolicy(opts) {
  return request('GET', '/api/sla/policy', opts);
}

/** PUT /api/sla/policy: the whole policy with the expected_version it was edited from; sent once. */
export async function putSlaPolicy(body) {
  const answer = await request('PUT', '/api/sla/policy', { body, retries: 0 });
  if (answer && answer.position !== undefined) notePosition(answer.position);
  return answer;
}

const hooks = (path = '') => `/api/webhooks/endpoints${path}`;
const hookId = (id) => `/${encodeURIComponent(id)}`;

export function listWebhooks(opts) {
  return request('GET', hooks(), { ...opts, readYourWrites: false });
}
/** POST -> {endpoint, secret}: the secret is only in this answer. */
export function createWebhook(body) {
  return request('POST', hooks(), { body, retries: 0 });
}
export function updateWebhook(id, patch) {
  return request('PATCH', hooks(hookId(id)), { body: patch, retries: 0 });
}
export function deleteWebhook(id) {
  return request('DELETE', hooks(hookId(id)), { retries: 0 });
}
export function webhookDeliveries(id, limit = 50, opts) {
  return request('GET', hooks(`${hookId(id)}/deliveries${query({ limit })}`), { ...opts, readYourWrites: false });
}
export function redeliverWebhook(id, fromPosition) {
  return request('POST', hooks(`${hookId(id)}/redeliver`), { body: { from_position: fromPosition }, retries: 0 });
}

const subject = (id, what) => `/api/privacy/subjects/${encodeURIComponent(id)}/${what}`;
/** GET .../export: everything held about a person, decrypted. */
export function exportSubject(id) {
  return request('GET', subject(id, 'export'), { readYourWrites: false });
}
/** POST .../erase {reason}: destroys the person's key; idempotent. */
export async function eraseSubject(id, reason) {
  const answer = await request('POST', subject(id, 'erase'), { body: { reason }, retries: 0 });
  if (answer && answer.position !== undefined) notePosition(answer.position);
  return answer;
}

/** URL for EventSource, which cannot send headers: the token travels as ?access_token=. */
export function streamUrl() {
  return apiUrl(`/api/stream${query({ access_token: token })}`);
}
