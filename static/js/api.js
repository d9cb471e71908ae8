// The one fetch helper for our JSON API: same-origin credentials, the CSRF token, JSON in
// and out. Paths without a leading slash are relative to /api/v1/.
const API = "/api/v1/";

export function csrfToken() {
  return document.querySelector("meta[name=csrf-token]")?.content || "";
}

/** {ok, status, data} for any answer; throws only when the network is down. */
export async function api(method, path, body, { signal } = {}) {
  const response = await fetch(path.startsWith("/") ? path : API + path, {
    method,
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      "Content-Type": "application/json",
      "X-CSRFToken": csrfToken(),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  let data = null;
  if (response.status !== 204) data = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, data };
}

/** The JSON of a GET (or another method); throws on a non-2xx answer. */
export async function getJSON(path, { method = "GET", signal } = {}) {
  const result = await api(method, path, undefined, { signal });
  if (!result.ok) throw new Error(`${path}: ${result.status}`);
  return result.data;
}
