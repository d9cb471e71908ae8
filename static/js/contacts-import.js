// The progress of an import. Progress events arrive over the live connection, but the
// import's row is the truth: the page re-fetches it after every (re)connect and every few
// seconds, and reloads once the import has finished to show the server-rendered report.
import { live } from "./live.js";

const section = document.getElementById("import-progress");
const POLL_MS = 2000;

if (section && section.dataset.finished !== "1") {
  const id = section.dataset.importId;
  const bar = section.querySelector('[role="progressbar"]');
  const fill = bar.querySelector(".progress-bar");
  const text = section.querySelector(".import-status-text");
  const template = section.dataset.labelProgress;
  let finished = false;
  let poller = null;

  const show = (status) => {
    if (finished) return;
    const percent = Math.max(0, Math.min(100, Number(status.percent) || 0));
    bar.setAttribute("aria-valuenow", String(percent));
    fill.style.width = `${percent}%`;
    fill.textContent = `${percent}%`;
    text.textContent = template.replace("{n}", status.processed).replace("{total}", status.total);
    if (status.status === "done" || status.status === "failed") {
      finished = true;
      clearInterval(poller);
      location.reload();
    }
  };

  const refresh = async () => {
    try {
      const response = await fetch(section.dataset.statusUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) show(await response.json());
    } catch {
      // offline for a moment: the next poll or the resync after reconnecting catches up
    }
  };

  live.on("contacts_import.progressed", (event) => {
    if (event.id === id) show(event);
  });
  live.onResync(refresh);
  poller = setInterval(refresh, POLL_MS);
}
