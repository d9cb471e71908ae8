// The Online Monitor: a snapshot from /api/v1/presence/ on every (re)connect and on
// monitor.changed, then presence.changed events. Sorted by status then name; a menu per
// person; contact requests to answer; adding people by email.
import { live } from "./live.js";

const API = "/api/v1/";

const RANK = { online: 0, on_call: 1, busy: 2, dnd: 3, away: 4, offline: 5 };
const ICON = {
  online: "bi-circle-fill", away: "bi-moon-fill", busy: "bi-dash-circle-fill",
  dnd: "bi-slash-circle-fill", on_call: "bi-telephone-fill", offline: "bi-circle",
  pending: "bi-hourglass-split",
};

function csrfToken() {
  return document.querySelector("meta[name=csrf-token]")?.content || "";
}

export async function api(method, path, body) {
  const response = await fetch(API + path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  if (response.status !== 204) data = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, data };
}
const LONG_PRESS_MS = 600;
const WAITING_DISABLED = new Set(["call", "video", "favourite"]);

export class OnlineMonitor {
  constructor(root) {
    this.root = root;
    this.people = new Map();
    this.labels = Object.fromEntries(
      [...root.querySelector("#monitor-labels").content.querySelectorAll("span")].map(
        (span) => [span.dataset.state, span.textContent],
      ),
    );
    this.filter = root.querySelector("#monitor-filter");
    this.myStatus = root.querySelector("#my-status");
    this.myText = root.querySelector("#my-status-text");
    this.menu = root.querySelector(".monitor-menu");
    this.menuFor = null;
    this.url = document.body.dataset.presenceUrl || "/api/v1/presence/";
    this.texts = Object.fromEntries(
      [...root.querySelector("#monitor-texts").content.querySelectorAll("span")].map(
        (span) => [span.dataset.text, span.textContent],
      ),
    );
    this.requests = root.querySelector(".monitor-requests");
    this.addForm = root.querySelector(".monitor-add");
    this.addForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.add();
    });
    root.addEventListener("monitor:action", (event) => this.act(event.detail));

    this.filter.addEventListener("input", () => this.render());
    this.myStatus.addEventListener("change", () => this.sendMyStatus());
    this.myText.addEventListener("change", () => this.sendMyStatus());
    this.bindMenu();
    live.onResync(() => this.load());
    live.on("presence.changed", (event) => this.apply(event));
    live.on("my_presence.changed", (event) => this.showMine(event));
    // who is in the monitor changed (a request arrived or was answered, a block...)
    live.on("monitor.changed", () => this.load());
    live.on("contact_request.received", () => this.load());
  }

  text(key, name = "") {
    return (this.texts[key] || key).replace("%(name)s", name);
  }

  async load() {
    const response = await fetch(this.url, { credentials: "same-origin" });
    if (!response.ok) return;
    const snapshot = await response.json();
    this.people = new Map(snapshot.people.map((person) => [person.id, person]));
    this.showMine(snapshot.me);
    this.showRequests(snapshot.requests || []);
    this.root.querySelector("[data-monitor-loading]").hidden = true;
    this.render();
  }

  apply(event) {
    const person = this.people.get(event.user);
    // not someone this monitor lists (the snapshot decides who is), or awaiting an answer
    if (!person || person.relation === "pending") return;
    person.state = event.state;
    person.text = event.text;
    this.render();
  }

  showMine(mine) {
    this.myStatus.value = mine.manual || "";
    if (document.activeElement !== this.myText) this.myText.value = mine.text || "";
    this.root.dataset.myState = mine.state;
  }

  sendMyStatus() {
    live.send({ type: "presence.set", state: this.myStatus.value || null, text: this.myText.value });
  }

  render() {
    const needle = this.filter.value.trim().toLocaleLowerCase();
    const sorted = [...this.people.values()]
      .filter((p) => !needle || p.name.toLocaleLowerCase().includes(needle) ||
        p.email.toLocaleLowerCase().includes(needle))
      .sort((a, b) => this.rank(a) - this.rank(b) || a.name.localeCompare(b.name));
    for (const group of this.root.querySelectorAll(".monitor-group")) {
      const list = group.querySelector("ul");
      const members = sorted.filter((p) => p.group === group.dataset.group);
      list.replaceChildren(...members.map((p) => this.entry(p)));
      group.hidden = members.length === 0;
    }
    this.paintBadges(document);
  }

  // Icons elsewhere on the page (address book rows, cards) marked data-presence-user show
  // that person's status too, if they are in this monitor.
  paintBadges(root) {
    for (const badge of root.querySelectorAll("[data-presence-user]")) {
      const person = this.people.get(badge.dataset.presenceUser);
      if (!person) continue;
      const state = person.relation === "pending" ? "pending" : person.state;
      const stale = [...badge.classList].filter((name) =>
        name.startsWith("bi-") || name.startsWith("presence-") || name === "text-success");
      badge.classList.remove(...stale);
      badge.classList.add(ICON[state], `presence-${state}`);
      badge.title = this.labels[state] || state;
      const hidden = badge.nextElementSibling;
      if (hidden?.classList.contains("visually-hidden")) hidden.textContent = badge.title;
    }
  }

  rank(person) {
    return person.relation === "pending" ? RANK.offline + 1 : RANK[person.state];
  }

  entry(person) {
    const li = document.createElement("li");
    li.className = "monitor-entry d-flex align-items-center gap-2";
    li.dataset.userId = person.id;
    const state = person.relation === "pending" ? "pending" : person.state;
    li.dataset.state = state;
    const label = this.labels[state] || state;

    const avatar = document.createElement("span");
    avatar.className = "avatar avatar-sm";
    avatar.setAttribute("aria-hidden", "true");
    if (person.photo) {
      const img = document.createElement("img");
      img.src = person.photo;
      img.alt = "";
      avatar.append(img);
    } else {
      avatar.textContent = person.initials;
    }

    const body = document.createElement("div");
    body.className = "flex-grow-1 text-truncate";
    const name = document.createElement("div");
    name.className = "name text-truncate";
    name.textContent = person.name;
    const status = document.createElement("div");
    status.className = "status-text text-truncate";
    const icon = document.createElement("i");
    icon.className = `bi ${ICON[state]} presence-${state}`;
    icon.setAttribute("aria-hidden", "true");
    status.append(icon, ` ${label}`, person.text ? ` · ${person.text}` : "");
    body.append(name, status);

    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-link text-body-secondary";
    button.setAttribute("aria-haspopup", "menu");
    button.setAttribute("aria-label", `${person.name}: ${label}. ${this.menu.getAttribute("aria-label")}`);
    button.innerHTML = '<i class="bi bi-three-dots" aria-hidden="true"></i>';
    button.addEventListener("click", () => {
      const box = button.getBoundingClientRect();
      this.openMenu(person, box.left, box.bottom, button);
    });

    li.addEventListener("contextmenu", (event) => {
      event.preventDefault();
      this.openMenu(person, event.clientX, event.clientY, button);
    });
    let pressTimer = null;
    li.addEventListener("touchstart", (event) => {
      const touch = event.touches[0];
      pressTimer = setTimeout(() => this.openMenu(person, touch.clientX, touch.clientY, button),
        LONG_PRESS_MS);
    }, { passive: true });
    for (const end of ["touchend", "touchmove", "touchcancel"]) {
      li.addEventListener(end, () => clearTimeout(pressTimer), { passive: true });
    }
    li.append(avatar, body, button);
    return li;
  }

  bindMenu() {
    document.addEventListener("click", (event) => {
      if (!this.menu.hidden && !this.menu.contains(event.target) &&
          !event.target.closest("[aria-haspopup=menu]")) this.closeMenu();
    });
    this.menu.addEventListener("keydown", (event) => {
      const items = [...this.menu.querySelectorAll("[role=menuitem]")];
      const at = items.indexOf(document.activeElement);
      if (event.key === "Escape") {
        this.closeMenu(true);
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        items[(at + step + items.length) % items.length].focus();
      } else if (event.key === "Tab") {
        this.closeMenu();
      }
    });
    this.menu.addEventListener("click", (event) => {
      const item = event.target.closest("[role=menuitem]");
      if (!item || item.getAttribute("aria-disabled") === "true") return;
      this.root.dispatchEvent(new CustomEvent("monitor:action", {
        detail: { action: item.dataset.action, person: this.menuFor },
      }));
      this.closeMenu(true);
    });
  }

  openMenu(person, x, y, opener) {
    this.menuFor = person;
    this.menuOpener = opener;
    for (const item of this.menu.querySelectorAll("[role=menuitem]")) {
      // someone whose answer is awaited cannot be called or made a favourite yet
      const usable = item.hasAttribute("data-enabled") &&
        !(person.relation === "pending" && WAITING_DISABLED.has(item.dataset.action));
      if (usable) item.removeAttribute("aria-disabled");
      else item.setAttribute("aria-disabled", "true");
      if (item.dataset.action === "favourite") {
        item.lastChild.textContent = ` ${this.text(person.favourite ? "unfavourite" : "favourite")}`;
      }
    }
    this.menu.hidden = false;
    const width = this.menu.offsetWidth;
    const height = this.menu.offsetHeight;
    this.menu.style.left = `${Math.min(x, window.innerWidth - width - 8)}px`;
    this.menu.style.top = `${Math.min(y, window.innerHeight - height - 8)}px`;
    opener.setAttribute("aria-expanded", "true");
    this.menu.querySelector("[role=menuitem]").focus();
  }

  async act({ action, person }) {
    let result = null;
    if (action === "contact") {
      window.location.href = `/people/${person.id}/`;
      return;
    } else if (action === "favourite") {
      result = await api(person.favourite ? "DELETE" : "PUT", `monitor/favourites/${person.id}/`);
    } else if (action === "remove") {
      const key = person.relation === "contact" ? "confirm-remove-contact" : "confirm-remove";
      if (!window.confirm(this.text(key, person.name))) return;
      result = await api("DELETE", `monitor/people/${person.id}/`);
    } else if (action === "block") {
      if (!window.confirm(this.text("confirm-block", person.name))) return;
      result = await api("PUT", `blocks/${person.id}/`);
    } else {
      return; // actions of other features (calls, messages) listen for monitor:action too
    }
    if (!result.ok) window.alert(result.data?.detail || this.text("failed"));
    this.load();
  }

  async add() {
    const status = this.addForm.querySelector("[data-monitor-add-result]");
    const email = this.addForm.elements.email;
    if (!email.value.trim() || !email.checkValidity()) {
      status.className = "small mt-1 mb-0 text-danger";
      status.textContent = email.validationMessage;
      return;
    }
    const result = await api("POST", "monitor/people/", {
      email: email.value.trim(),
      message: this.addForm.elements.message.value,
    });
    if (result.ok) {
      status.className = "small mt-1 mb-0 text-success";
      status.textContent = this.text(result.data.added === "request" ? "requested" : "added");
      this.addForm.reset();
      this.load();
    } else {
      status.className = "small mt-1 mb-0 text-danger";
      const data = result.data || {};
      status.textContent = (data.email && data.email[0]) || data.detail || this.text("failed");
    }
  }

  showRequests(requests) {
    const list = this.requests.querySelector("ul");
    list.replaceChildren(...requests.map((request) => {
      const li = document.createElement("li");
      li.className = "monitor-request border rounded p-2 mb-1";
      li.dataset.requestId = request.id;
      const who = document.createElement("div");
      who.className = "name fw-medium text-truncate";
      who.textContent = request.sender.name;
      const detail = document.createElement("div");
      detail.className = "small text-body-secondary text-truncate";
      detail.textContent = [request.sender.company, request.sender.email].filter(Boolean).join(" · ");
      li.append(who, detail);
      if (request.message) {
        const note = document.createElement("div");
        note.className = "small fst-italic";
        note.textContent = request.message;
        li.append(note);
      }
      const buttons = document.createElement("div");
      buttons.className = "d-flex gap-1 mt-1";
      for (const [answer, style] of [["accept", "btn-primary"], ["decline", "btn-outline-secondary"]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = `btn btn-sm ${style}`;
        button.textContent = this.text(answer);
        button.setAttribute("aria-label", `${this.text(answer)}: ${request.sender.name}`);
        button.addEventListener("click", async () => {
          button.disabled = true;
          const result = await api("POST", `contact-requests/${request.id}/${answer}/`);
          if (!result.ok) window.alert(result.data?.detail || this.text("failed"));
          this.load();
        });
        buttons.append(button);
      }
      li.append(buttons);
      return li;
    }));
    this.requests.hidden = requests.length === 0;
  }

  closeMenu(returnFocus = false) {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    this.menuOpener?.setAttribute("aria-expanded", "false");
    if (returnFocus) this.menuOpener?.focus();
  }
}

const root = document.querySelector("[data-monitor]");
if (root) window.ucMonitor = new OnlineMonitor(root);
