// Unread messages for the whole life of the tab (started once from app.js): the folder
// counts from /api/v1/messages/folders/ on every (re)connect and after each
// mailbox.changed, a notice (and a desktop notification if the user allowed them) when a
// message.received arrives. The nav badge "messages" shows the total; the folder list of
// a messages page (data-message-folders) shows each folder's count. Controllers listen
// for this module's "change" and "received" events.
import { getJSON } from "./api.js";
import { live } from "./live.js";
import { setBadge } from "./nav-badges.js";
import { notice } from "./notices.js";

class MessagesData extends EventTarget {
  constructor() {
    super();
    this.counts = {};
    this.unread = 0;
    this.loading = null;
  }

  start() {
    live.onResync(() => this.load());
    live.on("mailbox.changed", () => this.load());
    // the Contact requests folder counts the accounts app's requests
    live.on("contact_request.received", () => this.load());
    live.on("monitor.changed", () => this.load());
    live.on("message.received", (event) => this.received(event));
    // one event per region: someone in two of them hears it twice
    this.announced = new Set();
    live.on("announcement.received", (event) => {
      if (this.announced.has(event.id)) return;
      this.announced.add(event.id);
      this.received({ ...event, kind: "announcement", href: `/messages/announcements/${event.id}/` });
    });
    document.addEventListener("turbo:load", () => this.paintFolders());
  }

  async load() {
    // several events at once: one reload after the one in flight
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        const data = await getJSON("messages/folders/");
        this.counts = Object.fromEntries(data.folders.map((f) => [f.slug, f.unread]));
        this.unread = data.unread;
        setBadge("messages", this.unread);
        this.paintFolders();
        this.dispatchEvent(new CustomEvent("change"));
      } finally {
        this.loading = null;
        if (this.again) {
          this.again = false;
          this.load();
        }
      }
    })();
    return this.loading;
  }

  paintFolders() {
    for (const link of document.querySelectorAll("[data-message-folders] [data-folder]")) {
      const count = this.counts[link.dataset.folder];
      if (count === undefined) continue;
      const badge = link.querySelector("[data-folder-unread]");
      badge.querySelector(".count").textContent = count;
      badge.hidden = !count;
    }
  }

  text(key, values = {}) {
    const template = document.getElementById("message-texts"); // the current page's language
    const span = template?.content.querySelector(`[data-text="${key}"]`);
    const text = span?.textContent || key;
    return text.replace(/%\((\w+)\)s/g, (_, name) => values[name] ?? "");
  }

  async received(event) {
    await this.load();
    this.dispatchEvent(new CustomEvent("received", { detail: event }));
    let name = event.sender?.name || this.text("reminder");
    if (event.company) name = `${name} (${event.company})`;
    const title = this.text(`new-${event.kind}`);
    const href = event.href || `/messages/${event.id}/`;
    notice({
      title,
      text: this.text("from", { name, preview: event.preview }),
      href,
      linkText: this.text("open"),
    });
    if (document.body.dataset.desktopNotifications === "1" && window.Notification?.permission === "granted"
        && document.visibilityState !== "visible") {
      const shown = new Notification(title, { body: this.text("from", { name, preview: event.preview }), tag: event.id });
      shown.onclick = () => {
        window.focus();
        shown.close();
      };
    }
  }
}

export const messagesData = new MessagesData();
