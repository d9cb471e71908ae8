// Every signed-in page: start the live connection and show its state in the top bar.
import { live } from "./live.js";
import "./monitor.js";
import { trackActivity } from "./presence.js";

const badge = document.getElementById("live-status");
const LOOK = {
  connecting: ["text-bg-secondary", "Connecting…"],
  connected: ["text-bg-success", "Connected"],
  offline: ["text-bg-danger", "Offline"],
  "signed-out": ["text-bg-warning", "Signed out"],
};

function show(state) {
  if (!badge) return;
  const [cls, fallback] = LOOK[state];
  badge.className = `badge rounded-pill ${cls}`;
  badge.dataset.state = state;
  badge.querySelector(".live-status-text").textContent = badge.dataset[`label${state.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`] || fallback;
}

live.addEventListener("statechange", (event) => show(event.detail.state));
show(live.state);
trackActivity(Number(document.body.dataset.awayMinutes) || 10);
live.start();
window.ucLive = live; // for the browser console and tests
