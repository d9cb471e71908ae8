// The Online Monitor: a snapshot from /api/v1/presence/ on every (re)connect, then
// presence.changed events. Sorted by status then name; a menu per person.
import { live } from "./live.js";

const RANK = { online: 0, on_call: 1, busy: 2, dnd: 3, away: 4, offline: 5 };
const ICON = {
  online: "bi-circle-fill", away: "bi-moon-fill", busy: "bi-dash-circle-fill",
  dnd: "bi-slash-circle-fill", on_call: "bi-telephone-fill", offline: "bi-circle",
};
const LONG_PRESS_MS = 600;

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

    this.filter.addEventListener("input", () => this.render());
    this.myStatus.addEventListener("change", () => this.sendMyStatus());
    this.myText.addEventListener("change", () => this.sendMyStatus());
    this.bindMenu();
    live.onResync(() => this.load());
    live.on("presence.changed", (event) => this.apply(event));
    live.on("my_presence.changed", (event) => this.showMine(event));
  }

  async load() {
    const response = await fetch(this.url, { credentials: "same-origin" });
    if (!response.ok) return;
    const snapshot = await response.json();
    this.people = new Map(snapshot.people.map((person) => [person.id, person]));
    this.showMine(snapshot.me);
    this.root.querySelector("[data-monitor-loading]").hidden = true;
    this.render();
  }

  apply(event) {
    const person = this.people.get(event.user);
    if (!person) return; // not someone this monitor lists (the snapshot decides who is)
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
      .sort((a, b) => RANK[a.state] - RANK[b.state] || a.name.localeCompare(b.name));
    for (const group of this.root.querySelectorAll(".monitor-group")) {
      const list = group.querySelector("ul");
      const members = sorted.filter((p) => p.group === group.dataset.group);
      list.replaceChildren(...members.map((p) => this.entry(p)));
      group.hidden = members.length === 0;
    }
  }

  entry(person) {
    const li = document.createElement("li");
    li.className = "monitor-entry d-flex align-items-center gap-2";
    li.dataset.userId = person.id;
    li.dataset.state = person.state;
    const label = this.labels[person.state] || person.state;

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
    icon.className = `bi ${ICON[person.state]} presence-${person.state}`;
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
    this.menu.hidden = false;
    const width = this.menu.offsetWidth;
    const height = this.menu.offsetHeight;
    this.menu.style.left = `${Math.min(x, window.innerWidth - width - 8)}px`;
    this.menu.style.top = `${Math.min(y, window.innerHeight - height - 8)}px`;
    opener.setAttribute("aria-expanded", "true");
    this.menu.querySelector("[role=menuitem]").focus();
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
