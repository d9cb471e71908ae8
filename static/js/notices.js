// Small notices in the corner (a contact request arrived): a Bootstrap toast in
// base.html's #notices, inside the layer that never leaves the document, so a notice
// survives a page visit. Screen readers hear it through announce() (static/js/announce.js);
// the toast itself is for the eyes and holds a link to act on it.
import { announce } from "./announce.js";
import { go } from "./navigation.js";

const SHOW_MS = 10000;

/** Show `text` (bold `title`) with an optional link; read out politely. */
export function notice({ title, text, href = "", linkText = "", spoken = "" }) {
  const container = document.getElementById("notices");
  if (!container) return;
  const toast = document.createElement("div");
  toast.className = "toast show";
  toast.dataset.notice = "";
  const header = document.createElement("div");
  header.className = "toast-header";
  const strong = document.createElement("strong");
  strong.className = "me-auto";
  strong.textContent = title;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn-close";
  close.setAttribute("aria-label", container.dataset.labelClose || "Close");
  header.append(strong, close);
  const body = document.createElement("div");
  body.className = "toast-body";
  body.append(text);
  if (href) {
    const link = document.createElement("a");
    link.href = href;
    link.className = "d-block mt-1";
    link.textContent = linkText;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      toast.remove();
      go(href);
    });
    body.append(link);
  }
  toast.append(header, body);
  const timer = setTimeout(() => toast.remove(), SHOW_MS);
  close.addEventListener("click", () => {
    clearTimeout(timer);
    toast.remove();
  });
  container.append(toast);
  announce(spoken || `${title}. ${text}`);
  return toast;
}
