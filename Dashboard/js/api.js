// The API client: same origin, cookies, the envelope unwrapped, errors as ApiError with the server's code.
// A 401 triggers one refresh shared by every request that hit it (single flight), then each request is sent once
// more. Ids come from crypto.getRandomValues: crypto.randomUUID exists only in secure contexts, and a household
// reaches its server at http://192.168.x.y.

export class ApiError extends Error {
  constructor(status, code, message, details = {}, retryAfterSec = null) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.retryAfterSec = retryAfterSec;
  }
  /** `{field: [messages]}` of a validation error. */
  get fieldErrors() {
    return this.details.fieldErrors || this.details.details?.fieldErrors || {};
  }
}

/** A random UUID v4 text, without crypto.randomUUID. */
export function randomId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const NO_REFRESH = ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/setup"];
let refreshing = null;
let generation = 0;
let onExpired = () => {};

/** Called once when the session cannot be refreshed (the app shows the login). */
export function setSessionExpiredHandler(fn) {
  onExpired = fn;
}

async function send(method, path, body, headers, timeoutMs) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (method !== "GET" && method !== "HEAD") {
    init.headers["Content-Type"] = "application/json";
    if (body !== undefined) init.body = JSON.stringify(body);
  }
  if (timeoutMs) init.signal = AbortSignal.timeout(timeoutMs);
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, error?.name === "TimeoutError" ? "TIMEOUT" : "NETWORK", "Network error");
  }
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    envelope = null;
  }
  if (response.ok && envelope && envelope.success !== false) return envelope.data;
  const error = envelope?.error || {};
  const header = Number(response.headers.get("Retry-After"));
  const fromDetails = Number(error.details?.retryAfterSec);
  const retry = fromDetails > 0 ? Math.ceil(fromDetails) : header > 0 ? Math.ceil(header) : null;
  const fallback = response.status === 404 ? "NOT_FOUND" : response.status >= 500 ? "INTERNAL_ERROR" : "HTTP_ERROR";
  throw new ApiError(response.status, error.code || fallback, error.message, error.details, retry);
}

function refreshOnce() {
  if (!refreshing) {
    refreshing = send("POST", "/api/v1/auth/refresh", {}, {}, 15000)
      .then(() => {
        generation += 1;
        return true;
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

let expiredNotified = false;
/** Re-arms the expiry notice after a successful login. */
export function sessionStarted() {
  expiredNotified = false;
}

/**
 * Calls the API and returns the envelope's `data`.
 * options: body, idempotent (true → a fresh Idempotency-Key, or a string key), headers, timeoutMs.
 */
export async function api(method, path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.idempotent) headers["Idempotency-Key"] = options.idempotent === true ? randomId() : options.idempotent;
  const timeout = options.timeoutMs ?? 20000;
  const sentAt = generation;
  try {
    return await send(method, path, options.body, headers, timeout);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || NO_REFRESH.includes(path)) throw error;
    // A refresh finished after this request left: its cookie is already fresh, only retry.
    const ok = generation !== sentAt ? true : await refreshOnce();
    if (!ok) {
      if (!expiredNotified) {
        expiredNotified = true;
        onExpired();
      }
      throw new ApiError(401, "SESSION_EXPIRED", "Session expired");
    }
    return send(method, path, options.body, headers, timeout);
  }
}

export const get = (path, options) => api("GET", path, options);
export const post = (path, body, options = {}) => api("POST", path, { ...options, body });
export const patch = (path, body, options = {}) => api("PATCH", path, { ...options, body });
export const del = (path, options = {}) => api("DELETE", path, options);
export const put = (path, body, options = {}) => api("PUT", path, { ...options, body });
