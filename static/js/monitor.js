// The Online Monitor's data for the whole life of the page: a snapshot from
// /api/v1/presence/ on every (re)connect and on monitor.changed, then presence.changed
// events. It outlives page visits (started once from app.js); the monitor controller and
// the other views of presence (address book icons, the call log) render from it and
// listen for its "change" event.
import { announce } from "./announce.js";
import { getJSON } from "./api.js";
import { live } from "./live.js";
import { setBadge } from "./nav-badges.js";
import { notice } from "./notices.js";

export const ICON = {
  online: "bi-circle-fill", away: "bi-moon-fill", busy: "bi-dash-circle-fill",
  dnd: "bi-slash-circle-fill", on_call: "bi-telephone-fill", offline: "bi-circle",
  pending: "bi-hourglass-split",
};

class MonitorData extends EventTarget {
  constructor() {
    super();
    this.people = new Map();
    this.me = null;
    this.requests = [];
    this.loaded = false;
    this.labels = {};
  }

  start() {
    this.readLabels();
    document.addEventListener("turbo:load", () => this.readLabels()); // another language
    live.onResync(() => this.load());
    live.on("presence.changed", (event) => this.apply(event));
    live.on("my_presence.changed", (event) => {
      this.me = event;
      this.changed("me");
    });
    // who is in the monitor changed (a request arrived or was answered, a block...)
    live.on("monitor.changed", () => this.load());
    // a new request: reload, then show it (the sidebar is hidden on phones)
    live.on("contact_request.received", async (event) => {
      await this.load();
      const request = this.requests.find((r) => r.id === event.id);
      if (request) this.tellRequest(request);
    });
    document.addEventListener("turbo:load", () => paintPresence(document));
  }

  readLabels() {
    const template = document.getElementById("presence-labels");
    const spans = [...(template?.content.querySelectorAll("span") || [])];
    this.labels = Object.fromEntries(
      spans.filter((s) => s.dataset.state).map((s) => [s.dataset.state, s.textContent]),
    );
    this.texts = Object.fromEntries(spans.filter((s) => s.dataset.text).map((s) => [s.dataset.text, s]));
  }

  async load() {
    const snapshot = await getJSON("presence/");
    this.people = new Map(snapshot.people.map((person) => [person.id, person]));
    this.me = snapshot.me;
    this.requests = snapshot.requests || [];
    this.loaded = true;
    setBadge("contact-requests", this.requests.length);
    this.changed("snapshot");
  }

  apply(event) {
    const person = this.people.get(event.user);
    // not someone this monitor lists (the snapshot decides who is), or awaiting an answer
    if (!person || person.relation === "pending") return;
    const before = person.state;
    person.state = event.state;
    person.text = event.text;
    this.changed("person", event.user);
    // Read out, politely, who changed (the latest change wins if several come at once).
    if (before !== event.state) {
      announce(this.text("now", { name: person.name, state: this.label(event.state) }));
    }
  }

  changed(what, user = null) {
    paintPresence(document);
    this.dispatchEvent(new CustomEvent("change", { detail: { what, user } }));
  }

  /** The state to show for a person id (pending for a request awaiting an answer). */
  stateOf(id) {
    const person = this.people.get(id);
    if (!person) return null;
    return person.relation === "pending" ? "pending" : person.state;
  }

  label(state) {
    return this.labels[state] || state;
  }

  text(key, values = {}) {
    const text = this.texts?.[key]?.textContent || key;
    return text.replace(/%\((\w+)\)s/g, (_, name) => values[name] ?? "");
  }

  tellRequest(request) {
    const open = this.texts?.["request-open"];
    notice({
      title: this.text("request-title"),
      text: this.text("request-from", { name: request.sender.name }),
      href: open?.dataset.href || "",
      linkText: open?.textContent || "",
    });
  }
}

export const monitorData = new MonitorData();

// Icons elsewhere on the page (address book rows, cards) marked data-presence-user show
// that person's status too, if they are in the monitor. Run on every visit and change.
export function paintPresence(root) {
  for (const badge of root.querySelectorAll("[data-presence-user]")) {
    const state = monitorData.stateOf(badge.dataset.presenceUser);
    if (!state) continue;
    const stale = [...badge.classList].filter((name) =>
      name.startsWith("bi-") || name.startsWith("presence-") || name === "text-success");
    badge.classList.remove(...stale);
    badge.classList.add(ICON[state], `presence-${state}`);
    badge.title = monitorData.label(state);
    const hidden = badge.nextElementSibling;
    if (hidden?.classList.contains("visually-hidden")) hidden.textContent = badge.title;
  }
}
