// The JSON API client: project-scoped base URL, bearer token, ETag/If-Match, one
// error type carrying the server's stable error code.

import { t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || "http_error";
    this.hint = err.hint;
    this.details = err.details || {};
    this.body = body || {};
  }
}

export const session = {
  project: null,      // project id when several are served
  multi: false,
  token: localStorage.getItem("leanspec.token") || "",
};

export function base() {
  return session.multi && session.project ? `/api/projects/${encodeURIComponent(session.project)}` : "/api";
}

export async function request(method, path, { body, ifMatch, global = false } = {}) {
  const headers = { Accept: "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch === "*" ? "*" : `"${ifMatch}"`;
  let res;
  try {
    res = await fetch((global ? "/api" : base()) + path, {
      method,
      headers,
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
  } catch {
    // The browser says only "Failed to fetch"; say what it means and that nothing was saved.
    throw new ApiError(0, { error: { code: "unreachable", message: t("Cannot reach the lean-spec server (is it still running?). Nothing was saved.") } });
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export const get = (path, opts) => request("GET", path, opts);
export const ref = (name) => encodeURIComponent(name);
