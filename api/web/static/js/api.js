// JSON API client: same-origin session cookie, the project's error shape turned into ApiError.
// Every state-changing request echoes the leian_csrf cookie in X-CSRF-Token (see api/csrf.py).

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("leian_csrf="));
  return found ? decodeURIComponent(found.slice("leian_csrf=".length)) : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `请求失败（${status}）`);
    this.status = status;
    this.code = err.code || `http_${status}`;
    this.details = err.details || [];
  }
}

function toLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

export async function api(path, { method = "GET", body, form, query, raw = false } = {}) {
  let url = path;
  if (query) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === "") continue;
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, item);
    }
    const s = qs.toString();
    if (s) url += (url.includes("?") ? "&" : "?") + s;
  }
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (UNSAFE.has(method.toUpperCase())) init.headers["X-CSRF-Token"] = csrfToken();
  if (form) init.body = form;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const res = await fetch(url, init);
  if (res.status === 401 && !path.startsWith("/api/auth/login")) {
    toLogin();
    throw new ApiError(401, { error: { message: "登录已过期，请重新登录" } });
  }
  if (raw) {
    if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
    return res;
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Try an endpoint another feature may not have shipped yet: null on 404/405 instead of an error.
export async function optional(path, opts) {
  try {
    return await api(path, opts);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405) && e.code.startsWith("http_")) return null;
    throw e;
  }
}

// Upload with progress (fetch has no upload progress): resolves with parsed JSON or rejects ApiError.
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.upload.onprogress = (ev) => ev.lengthComputable && onProgress && onProgress(ev.loaded / ev.total);
    xhr.upload.onload = () => onProgress && onProgress(1);
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status === 401) toLogin();
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    };
    xhr.onerror = () => reject(new ApiError(0, { error: { message: "网络错误，请检查连接" } }));
    xhr.send(form);
  });
}
