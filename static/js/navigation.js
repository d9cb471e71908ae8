// Page navigation (docs/realtime.md, "Page navigation and page scripts"): Turbo Drive
// turns links and form submissions of a signed-in page into fetches whose <body> replaces
// the current one, so this document, its live connection and a running call stay.
//
// One addition to Turbo's rendering: direct children of <body> marked data-keep-mounted
// (with an id) never leave the document. Turbo's data-turbo-permanent moves an element
// out of the old body and into the new one, and a media element that leaves the document
// pauses; the call window and the announcing live regions live in such a layer instead,
// and the new page's copy of it is dropped.
import * as Turbo from "../vendor/turbo/turbo.es2017-esm.js";

const KEEP = "data-keep-mounted";

function renderKeepingLayers(currentBody, newBody) {
  const body = document.body;
  const kept = [...body.children].filter((el) => el.hasAttribute(KEEP) && el.id);
  for (const name of body.getAttributeNames()) {
    if (!newBody.hasAttribute(name)) body.removeAttribute(name);
  }
  for (const name of newBody.getAttributeNames()) body.setAttribute(name, newBody.getAttribute(name));
  for (const node of [...body.childNodes]) {
    if (!kept.includes(node)) node.remove();
  }
  // The new page's nodes go around the kept layers, in the new page's order.
  let next = 0;
  for (const node of [...newBody.childNodes]) {
    if (node.nodeType === Node.ELEMENT_NODE && node.hasAttribute(KEEP) && kept[next]?.id === node.id) {
      next += 1;
      continue;
    }
    body.insertBefore(node, kept[next] || null);
  }
}

function moveFocusAfterVisit() {
  // Turbo focuses an [autofocus] field itself; otherwise start from the new page's main
  // content, as a full load would for a screen reader, instead of a removed element.
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  const main = document.getElementById("main");
  if (!main) return;
  if (!main.hasAttribute("tabindex")) main.setAttribute("tabindex", "-1");
  main.focus({ preventScroll: true });
}

export function startNavigation({ signedIn }) {
  // Only signed-in pages navigate without unloading: signing in must load everything
  // (the live connection starts with the page), and a signed-out page reached from a
  // signed-in one reloads itself (<meta name="turbo-visit-control" content="reload">).
  Turbo.session.drive = signedIn;
  document.addEventListener("turbo:before-render", (event) => {
    event.detail.render = renderKeepingLayers;
  });
  let visited = false;
  document.addEventListener("turbo:visit", () => {
    visited = true;
  });
  document.addEventListener("turbo:load", () => {
    if (visited) moveFocusAfterVisit();
  });
}

/** Go to a URL of the app the way a link does (without unloading when signed in). */
export function go(url) {
  if (Turbo.session.drive) Turbo.visit(url);
  else window.location.assign(url);
}

/** Load the current page again from the server, keeping this document. */
export function reload() {
  go(location.href);
}
