// The call UI's translated strings (includes/calls.html #call-strings), read once.
export const STR = {};

export function loadStrings() {
  for (const li of document.querySelectorAll("#call-strings li")) STR[li.dataset.key] = li.textContent;
}

/** A string with %(name)s filled in. */
export function fill(key, name) {
  return (STR[key] || key).replace("%(name)s", name);
}
