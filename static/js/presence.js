// Activity tracking for presence: after the user's inactivity setting this tab reports
// idle (the server shows Away once every tab is idle); any input reports active again.
import { live } from "./live.js";

const ACTIVITY_EVENTS = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"];

export function trackActivity(awayMinutes) {
  const limitMs = Math.max(1, awayMinutes) * 60 * 1000;
  let lastInput = Date.now();
  let idle = false;

  const report = () => live.send({ type: idle ? "presence.idle" : "presence.active" });
  const onInput = () => {
    lastInput = Date.now();
    if (idle) {
      idle = false;
      report();
    }
  };
  for (const name of ACTIVITY_EVENTS) {
    window.addEventListener(name, onInput, { passive: true, capture: true });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") onInput();
  });
  setInterval(() => {
    if (!idle && Date.now() - lastInput >= limitMs) {
      idle = true;
      report();
    }
  }, 15000);
  // A new connection starts as active on the server; correct it if this tab is idle.
  live.onResync(() => {
    if (idle) report();
  });
}
