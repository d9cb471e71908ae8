// The progress of an import. Progress events arrive over the live connection, but the
// import's row is the truth: the page re-fetches it after every (re)connect and every few
// seconds, and visits itself again once the import has finished, to show the
// server-rendered report (a Turbo visit: a running call stays up).
import { getJSON } from "../api.js";
import { PageController } from "../controller.js";
import { reload } from "../navigation.js";

const POLL_MS = 2000;

export default class extends PageController {
  setup() {
    const section = this.element;
    if (section.dataset.finished === "1") return;
    this.id = section.dataset.importId;
    this.bar = section.querySelector('[role="progressbar"]');
    this.finished = false;
    this.onLive("contacts_import.progressed", (event) => {
      if (event.id === this.id) this.show(event);
    });
    this.onResync(() => this.refresh());
    this.every(POLL_MS, () => this.refresh());
  }

  show(status) {
    if (this.finished) return;
    const percent = Math.max(0, Math.min(100, Number(status.percent) || 0));
    const fill = this.bar.querySelector(".progress-bar");
    this.bar.setAttribute("aria-valuenow", String(percent));
    fill.style.width = `${percent}%`;
    fill.textContent = `${percent}%`;
    this.element.querySelector(".import-status-text").textContent = this.element.dataset.labelProgress
      .replace("{n}", status.processed).replace("{total}", status.total);
    if (status.status === "done" || status.status === "failed") {
      this.finished = true;
      reload();
    }
  }

  async refresh() {
    try {
      this.show(await getJSON(this.element.dataset.statusUrl));
    } catch {
      // offline for a moment: the next poll or the resync after reconnecting catches up
    }
  }
}
