// Browser-to-browser calls (protocol: docs/calls.md), in modules under calls/: tones,
// strings, the call window, one peer connection per call (peer.js), and the manager of
// this tab's calls. Started once per tab from app.js; the call UI lives in the call layer
// of base.html, which page visits never touch.
import { Calls } from "./calls/manager.js";
import { loadStrings } from "./calls/strings.js";
import { setSounds } from "./calls/tones.js";

/** Start the calls of this tab (once, on signed-in pages). */
export function startCalls() {
  const root = document.getElementById("call-toasts");
  if (!root) return null;
  loadStrings();
  document.addEventListener("turbo:load", loadStrings); // a visit in another language
  setSounds(root.dataset.sounds !== "0");
  window.ucCalls = new Calls(root); // for the browser console and tests
  return window.ucCalls;
}
