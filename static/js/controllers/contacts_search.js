// Search as you type on the contacts page: after a short pause ask the API, and show the
// matches among the user's contacts and the company directory in place of the open book.
import { csrfToken } from "../api.js";
import { PageController } from "../controller.js";
import { paintPresence } from "../monitor.js";

const DELAY_MS = 150;

function el(tag, { className, text, ...attrs } = {}, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export default class extends PageController {
  static targets = ["input", "results", "book"];

  setup() {
    this.timer = null;
    this.controller = null;
    const input = this.inputTarget;
    input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.search(input.value), DELAY_MS);
    }, { signal: this.signal });
    this.element.addEventListener("submit", (event) => {
      if (!event.target.matches("[data-contacts-search-form]")) return;
      event.preventDefault();
      clearTimeout(this.timer);
      this.search(input.value);
    }, { signal: this.signal });
    // Typed before this ran (a slow page): search for it now.
    if (input.value.trim() && input.value !== input.defaultValue) this.search(input.value);
  }

  teardown() {
    clearTimeout(this.timer);
    this.controller?.abort();
  }

  icon(contact) {
    const labels = this.resultsTarget.dataset;
    if (contact.is_on_net) {
      return [
        el("i", {
          className: "bi bi-person-check-fill text-success", "aria-hidden": "true", title: labels.labelOnNet,
          "data-presence-user": contact.linked_user,
        }),
        el("span", { className: "visually-hidden", text: labels.labelOnNet }),
      ];
    }
    if (contact.phones.length) {
      return [
        el("i", { className: "bi bi-telephone text-body-secondary", "aria-hidden": "true", title: labels.labelPhoneOnly }),
        el("span", { className: "visually-hidden", text: labels.labelPhoneOnly }),
      ];
    }
    return [el("i", { className: "bi bi-person text-body-secondary", "aria-hidden": "true" })];
  }

  contactRow(contact) {
    const href = this.resultsTarget.dataset.detailUrl.replace("{id}", contact.id);
    const details = [];
    if (contact.phones.length) details.push(el("span", { text: contact.phones[0].display }));
    if (contact.emails.length) details.push(el("span", { className: "ms-2", text: contact.emails[0].address }));
    const name = el("a", { className: "fw-semibold text-decoration-none text-break", href, text: contact.display_name });
    const body = el("div", { className: "flex-grow-1 min-w-0" }, name);
    if (contact.company && contact.company !== contact.display_name) {
      body.append(" ", el("span", { className: "text-body-secondary small", text: `· ${contact.company}` }));
    }
    body.append(el("div", { className: "small text-body-secondary text-truncate" }, ...details));
    return el("li", { className: "list-group-item d-flex align-items-center gap-3", "data-contact-id": contact.id },
      el("span", {}, ...this.icon(contact)), body);
  }

  personRow(user) {
    const labels = this.resultsTarget.dataset;
    const row = el("li", { className: "list-group-item d-flex align-items-center gap-2" },
      el("i", { className: "bi bi-person-check-fill text-success", "aria-hidden": "true", "data-presence-user": user.id }),
      el("span", { className: "flex-grow-1 min-w-0 text-break" }, `${user.name || user.email} `,
        el("span", { className: "small text-body-secondary", text: user.email })));
    if (user.outside) {
      // people of other companies join the Online Monitor through a contact request
      const form = el("form", { method: "post", action: labels.addUrl.replace("{id}", user.id) },
        el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrfToken() }),
        el("button", { className: "btn btn-sm btn-outline-primary", text: labels.labelAdd,
          "aria-label": labels.labelAddPerson.replace("%(name)s", user.name || user.email) }));
      row.append(form);
    }
    return row;
  }

  render(data) {
    const results = this.resultsTarget;
    const labels = results.dataset;
    const list = el("ul", { className: "list-group mb-3" });
    if (data.contacts.length) list.append(...data.contacts.map((c) => this.contactRow(c)));
    else list.append(el("li", { className: "list-group-item text-body-secondary", text: labels.labelNone }));
    const parts = [el("h2", { className: "h6", text: labels.labelContacts }), list];
    const colleagues = data.colleagues.filter((user) => !user.outside);
    const outsiders = data.colleagues.filter((user) => user.outside);
    if (colleagues.length) {
      parts.push(el("h2", { className: "h6", text: labels.labelColleagues }));
      parts.push(el("ul", { className: "list-group mb-3" }, ...colleagues.map((u) => this.personRow(u))));
    }
    if (outsiders.length) {
      // found by exact address or name only: not part of the company directory
      parts.push(el("h2", { className: "h6", text: labels.labelOutsiders }));
      parts.push(el("p", { className: "small text-body-secondary", text: labels.labelOutsidersNote }));
      parts.push(el("ul", { className: "list-group" }, ...outsiders.map((u) => this.personRow(u))));
    }
    results.replaceChildren(...parts);
    paintPresence(results);
  }

  async search(query) {
    this.controller?.abort();
    const results = this.resultsTarget;
    const url = new URL(location.href);
    if (!query.trim()) {
      results.hidden = true;
      this.bookTarget.hidden = false;
      url.searchParams.delete("q");
      history.replaceState(history.state, "", url);
      return;
    }
    url.searchParams.set("q", query);
    // Keep Turbo's entry (history.state) so back and forward still work.
    history.replaceState(history.state, "", url);
    this.controller = new AbortController();
    try {
      const response = await fetch(`${this.inputTarget.dataset.searchUrl}?q=${encodeURIComponent(query)}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: this.controller.signal,
      });
      if (!response.ok) return;
      this.render(await response.json());
      results.hidden = false;
      this.bookTarget.hidden = true;
    } catch (error) {
      if (error.name !== "AbortError") console.error("contacts search failed", error);
    }
  }
}
