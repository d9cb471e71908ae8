// A folder of messages: its list is redrawn from the server when a message arrives or
// another tab changes the mailbox; "select all" ticks every row; a form with
// data-confirm asks first. The folder counts are painted by messages.js.
import { PageController } from "../controller.js";
import { messagesData } from "../messages.js";

export default class extends PageController {
  setup() {
    messagesData.paintFolders();
    messagesData.addEventListener("change", () => this.refresh(), { signal: this.signal });
    this.element.addEventListener("change", (event) => {
      if (!event.target.matches("[data-select-all]")) return;
      for (const box of this.element.querySelectorAll("input[name=ids]")) box.checked = event.target.checked;
    }, { signal: this.signal });
    this.element.addEventListener("submit", (event) => {
      const question = event.target.dataset.confirm;
      if (question && !window.confirm(question)) event.preventDefault();
    }, { signal: this.signal });
  }

  async refresh() {
    // keep what the user ticked; never redraw under an open confirmation or a page change
    const list = this.element.querySelector("[data-messages-list]");
    if (!list) return;
    const ticked = new Set([...list.querySelectorAll("input[name=ids]:checked")].map((b) => b.value));
    let html;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      html = await response.text();
    } catch {
      return;
    }
    const fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-messages-list]");
    if (!fresh || !list.isConnected) return;
    for (const box of fresh.querySelectorAll("input[name=ids]")) box.checked = ticked.has(box.value);
    list.replaceWith(fresh);
  }
}
