// The signed-in user: the token, its claims and the roles they grant (with inheritance from /api/schema).

import { setToken } from './api.js';

const STORAGE_KEY = 'helpdesk.token';
const listeners = new Set();
let session = null;

/** Decode a JWT's claims without verifying it (the API verifies; the UI only displays). */
export function decodeToken(token) {
  const parts = String(token || '').trim().split('.');
  if (parts.length !== 3) throw new Error('This is not a JSON Web Token (expected three dot-separated parts).');
  let claims;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    claims = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error('The token cannot be read: its claims are not valid base64url JSON.');
  }
  if (!claims || typeof claims.sub !== 'string' || !claims.sub) throw new Error('The token has no "sub" claim.');
  const roles = Array.isArray(claims.roles) ? claims.roles.map(String) : [];
  return { sub: claims.sub, roles, exp: typeof claims.exp === 'number' ? claims.exp : null };
}

function isExpired(claims) {
  return claims.exp !== null && claims.exp * 1000 <= Date.now();
}

/** Roles plus everything they inherit, following the schema's role list. */
export function effectiveRoles(roles, schema) {
  const byName = new Map(((schema && schema.roles) || []).map((r) => [r.name, r]));
  const result = new Set();
  const stack = [...roles];
  while (stack.length) {
    const name = stack.pop();
    if (result.has(name)) continue;
    result.add(name);
    const role = byName.get(name);
    if (role) stack.push(...(role.inherits || []));
  }
  return result;
}

function notify() {
  for (const fn of listeners) fn(session);
}

export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Start a session from a token. Throws with a readable message when the token is unusable. */
export function signIn(token) {
  const claims = decodeToken(token);
  if (isExpired(claims)) throw new Error('This token has expired. Get a new one and try again.');
  session = { token: token.trim(), ...claims, effective: new Set(claims.roles) };
  setToken(session.token);
  try {
    sessionStorage.setItem(STORAGE_KEY, session.token);
  } catch {
    /* storage may be disabled: the session then lasts for this page only */
  }
  notify();
  return session;
}

export function signOut() {
  session = null;
  setToken(null);
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    /* ignore */
  }
  notify();
}

/** Restore the session of this tab, if its token is still valid. */
export function restore() {
  let stored = null;
  try {
    stored = sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
  if (!stored) return null;
  try {
    return signIn(stored);
  } catch {
    signOut();
    return null;
  }
}

// The roles the net marks as staff (/api/schema); until the schema has arrived, the net's first-line role.
let staffRoles = new Set(['agent']);

/** Once the schema is known, fill in inherited roles and which roles are staff. */
export function applySchema(schema) {
  const marked = ((schema && schema.roles) || []).filter((r) => r.staff).map((r) => r.name);
  if (marked.length) staffRoles = new Set(marked);
  if (!session) return;
  session.effective = effectiveRoles(session.roles, schema);
  notify();
}

export function current() {
  return session;
}

export function hasRole(role) {
  return Boolean(session && session.effective.has(role));
}

/** Staff (the roles the net marks as staff, and every role inheriting one) work the queue; everyone else uses
 * the customer portal. */
export function isStaff() {
  return Boolean(session) && [...session.effective].some((role) => staffRoles.has(role));
}

export function expiresInMs() {
  if (!session || session.exp === null) return Infinity;
  return session.exp * 1000 - Date.now();
}
