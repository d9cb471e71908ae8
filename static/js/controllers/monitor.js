// The Online Monitor (sidebar or the /monitor/ page): sorted by status then name, a menu
// per person, contact requests to answer, adding people by email. Data: monitor.js.
import { api } from "../api.js";
import { PageController } from "../controller.js";
import { live } from "../live.js";
import { ICON, monitorData } from "../monitor.js";
import { go } from "../navigation.js";

const RANK = { online: 0, on_call: 1, busy: 2, dnd: 3, away: 4, offline: 5, pending: 6 };
const LONG_PRESS_MS = 600;
const WAITING_DISABLED = new Set(["call", "video", "favourite"]);

export default class extends PageController {
  setup() {
    const root = this.element;
    const on = (target, type, fn, options = {}) => target.addEventListener(type, fn, { ...options, signal: this.signal });
    this.filter = root.querySelector("#monitor-filter");
    this.myStatus = root.querySelector("#my-status");
    this.myText = root.querySelector("#my-status-text");
    this.menu = root.querySelector(".monitor-menu");
    this.requests = root.querySelector(".monitor-requests");
    this.addForm = root.querySelector(".monitor-add");
    this.texts = Object.fromEntries(
      [...root.querySelector("#monitor-texts").content.querySelectorAll("span")].map(
        (span) => [span.dataset.text, span.textContent],
      ),
    );
    on(this.addForm, "submit", (event) => {
      event.preventDefault();
      this.add();
    });
    on(root, "monitor:action", (event) => this.act(event.detail));
    on(this.filter, "input", () => this.render());
    on(this.myStatus, "change", () => this.sendMyStatus());
    on(this.myText, "change", () => this.sendMyStatus());
    on(monitorData, "change", (event) => {
      if (event.detail.what !== "me") this.render();
      if (monitorData.me) this.showMine(monitorData.me);
    });
    this.bindMenu(on);
    if (monitorData.loaded) {
      this.render();
      this.showMine(monitorData.me);
    }
  }

  teardown() {
    this.closeMenu();
  }

  text(key, name = "") {
    return (this.texts[key] || key).replace("%(name)s", name);
  }

  showMine(mine) {
    this.myStatus.value = mine.manual || "";
    if (document.activeElement !== this.myText) this.myText.value = mine.text || "";
    this.element.dataset.myState = mine.state;
  }

  sendMyStatus() {
    live.send({ type: "presence.set", state: this.myStatus.value || null, text: this.myText.value });
  }

  render() {
    if (!monitorData.loaded) return;
    // The open menu sits inside an entry; redraw once it closes, so keyboard focus stays.
    if (!this.menu.hidden) {
      this.renderWhenClosed = true;
      return;
    }
    this.element.querySelector("[data-monitor-loading]").hidden = true;
    this.showRequests(monitorData.requests);
    const needle = this.filter.value.trim().toLocaleLowerCase();
    const sorted = [...monitorData.people.values()]
      .filter((p) => !needle || p.name.toLocaleLowerCase().includes(needle) ||
        p.email.toLocaleLowerCase().includes(needle))
      .sort((a, b) => RANK[monitorData.stateOf(a.id)] - RANK[monitorData.stateOf(b.id)] ||
        a.name.localeCompare(b.name));
    for (const group of this.element.querySelectorAll(".monitor-group")) {
      const list = group.querySelector("ul");
      const members = sorted.filter((p) => p.group === group.dataset.group);
      list.replaceChildren(...members.map((p) => this.entry(p)));
      group.hidden = members.length === 0;
    }
    // A new company: nobody to show yet, so say what to do next.
    const empty = this.element.querySelector("[data-monitor-empty]");
    if (empty) empty.hidden = monitorData.people.size > 0;
  }

  entry(person) {
    const li = document.createElement("li");
    li.className = "monitor-entry d-flex align-items-center gap-2";
    li.dataset.userId = person.id;
    const state = monitorData.stateOf(person.id);
    li.dataset.state = state;
    const label = monitorData.label(state);

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

    // These listeners live and die with the entry, which every render replaces.
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

  bindMenu(on) {
    on(document, "click", (event) => {
      if (!this.menu.hidden && !this.menu.contains(event.target) &&
          !event.target.closest("[aria-haspopup=menu]")) this.closeMenu();
    });
    // Taken on the window before anyone else: Bootstrap handles keys of every .dropdown-menu
    // (capturing on the document) and threw on this one, which has no Bootstrap toggle
    // ("Cannot read properties of undefined (reading 'parentNode')" on Escape).
    on(window, "keydown", (event) => {
      if (!this.menu.hidden && this.menu.contains(event.target)) this.menuKey(event);
    }, { capture: true });
    on(this.menu, "click", (event) => {
      const item = event.target.closest("[role=menuitem]");
      if (!item || item.getAttribute("aria-disabled") === "true") return;
      // Bubbles to the document: calls (and later messaging) act on their own actions.
      this.element.dispatchEvent(new CustomEvent("monitor:action", {
        bubbles: true,
        detail: { action: item.dataset.action, person: this.menuFor },
      }));
      this.closeMenu(true);
    });
  }

  menuKey(event) {
    const items = [...this.menu.querySelectorAll("[role=menuitem]")];
    const at = items.indexOf(document.activeElement);
    if (event.key === "Escape") {
      this.closeMenu(true);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      items[(at + step + items.length) % items.length].focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      items[event.key === "Home" ? 0 : items.length - 1].focus();
    } else if (event.key === "Tab") {
      // Close and go on from the button (the menu follows it): Tab reaches the next
      // person's button, Shift+Tab this one's, not the footer.
      if (event.shiftKey) event.preventDefault();
      this.closeMenu(true);
    } else {
      return;
    }
    event.stopPropagation();
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
    // Right after its button in the document, so Tab goes on from there.
    opener.after(this.menu);
    this.menu.hidden = false;
    const width = this.menu.offsetWidth;
    const height = this.menu.offsetHeight;
    this.menu.style.left = `${Math.min(x, window.innerWidth - width - 8)}px`;
    this.menu.style.top = `${Math.min(y, window.innerHeight - height - 8)}px`;
    opener.setAttribute("aria-expanded", "true");
    this.menu.querySelector("[role=menuitem]").focus();
  }

  closeMenu(returnFocus = false) {
    if (!this.menu || this.menu.hidden) return;
    // back to the opener, unless the chosen action moved focus (a call window takes it)
    const active = document.activeElement;
    returnFocus &&= !active || active === document.body || this.menu.contains(active);
    this.menu.hidden = true;
    this.menuOpener?.setAttribute("aria-expanded", "false");
    if (returnFocus && this.menuOpener?.isConnected) this.menuOpener.focus();
    this.element.append(this.menu); // back out of the entry, which a redraw replaces
    if (this.renderWhenClosed) {
      this.renderWhenClosed = false;
      const opener = this.menuOpener;
      const refocus = returnFocus && document.activeElement === opener;
      this.render();
      // the redrawn entry's button takes the focus its old one had
      const id = opener?.closest("[data-user-id]")?.dataset.userId;
      if (refocus && id) {
        this.element.querySelector(`[data-user-id="${id}"] [aria-haspopup=menu]`)?.focus();
      }
    }
  }

  async act({ action, person }) {
    let result = null;
    if (action === "contact") {
      go(`/people/${person.id}/`);
      return;
    } else if (action === "text" || action === "voicemail" || action === "videomail") {
      const kind = { text: "text", voicemail: "voice", videomail: "video" }[action];
      go(`/messages/new/?kind=${kind}&to=${encodeURIComponent(person.id)}`);
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
    monitorData.load();
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
      monitorData.load();
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
          monitorData.load();
        });
        buttons.append(button);
      }
      li.append(buttons);
      return li;
    }));
    this.requests.hidden = requests.length === 0;
  }
}
