// The HTTP client for /api/v1: JSON in and out, the session cookie, the error contract
// ({code, message, details}) turned into ApiError, and a hook for "signed out" (401).

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || `http_${status}`;
    this.details = (body && body.details) || {};
    // Seconds the server asks us to wait (429, 503), or null.
    this.retryAfter = retryAfter ?? null;
  }

  /** Field errors as [{field, code, message}]: 422's details.errors, or a 409 naming one field. */
  fieldErrors() {
    const out = [...(this.details.errors || [])];
    if (typeof this.details.field === "string") {
      out.push({ field: this.details.field, code: this.code, message: this.message });
    }
    return out;
  }
}

let onUnauthorized = () => {};

/** Called when any request other than login answers 401 (expired or revoked session). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

function query(params) {
  if (!params) return "";
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "" && v !== false) q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export async function request(method, path, { params, body } = {}) {
  const init = { method, credentials: "same-origin", headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api/v1${path}${query(params)}`, init);
  } catch (e) {
    throw new ApiError(0, { code: "network", message: String(e) });
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const retry = Number.parseInt(res.headers.get("retry-after") || "", 10);
    const err = new ApiError(res.status, data || { message: text }, Number.isNaN(retry) ? null : retry);
    if (res.status === 401 && path !== "/auth/login") onUnauthorized();
    throw err;
  }
  return data;
}

/** Uploads a file as the raw body (Content-Type = its type, `?name=` its name); the stored metadata. */
async function upload(path, file) {
  let res;
  try {
    res = await fetch(`/api/v1${path}${query({ name: file.name })}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": file.type || "application/octet-stream", accept: "application/json" },
      body: file,
    });
  } catch (e) {
    throw new ApiError(0, { code: "network", message: String(e) });
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const api = {
  upload,
  get: (path, params) => request("GET", path, { params }),
  post: (path, body) => request("POST", path, { body: body ?? {} }),
  put: (path, body) => request("PUT", path, { body }),
  patch: (path, body) => request("PATCH", path, { body }),
  del: (path) => request("DELETE", path),
};
