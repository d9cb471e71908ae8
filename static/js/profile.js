// Profile and company pages: preview a chosen image, refuse an oversized one before
// uploading it, and fill the time zone from the browser. The server checks everything again.
import { enhanceChoices } from "./choices.js";

for (const form of document.querySelectorAll("form[data-max-bytes]")) {
  const input = form.querySelector('input[type="file"]');
  const preview = document.getElementById(form.dataset.preview || "photo-preview");
  if (!input) continue;
  const check = () => {
    const file = input.files[0];
    input.setCustomValidity("");
    if (!file) return;
    if (file.size > Number(form.dataset.maxBytes)) {
      input.setCustomValidity(form.dataset.tooLarge);
      input.reportValidity();
      return;
    }
    if (preview) {
      if (preview.src) URL.revokeObjectURL(preview.src);
      preview.src = URL.createObjectURL(file);
      preview.classList.remove("d-none");
    }
  };
  input.addEventListener("change", check);
  check(); // a file chosen before this module ran (or kept by the back button)
  form.addEventListener("submit", (event) => {
    if (!input.checkValidity()) {
      event.preventDefault();
      input.reportValidity();
    }
  });
}

for (const button of document.querySelectorAll("[data-target]#detect-time-zone")) {
  const select = document.getElementById(button.dataset.target);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!select || !zone) {
    button.hidden = true;
    continue;
  }
  button.addEventListener("click", () => {
    // The list is loaded on demand; the browser's zone is added (the server checks it).
    const control = select.tomselect;
    if (control) {
      control.addOption({ value: zone, text: zone.replaceAll("_", " ") });
      control.setValue(zone);
    } else {
      if (![...select.options].some((o) => o.value === zone)) select.add(new Option(zone, zone));
      select.value = zone;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
}

// Time zones, countries, regions and markets: searchable, loaded when opened.
enhanceChoices(document);

// Turning desktop notifications on asks the browser for permission right away.
const notify = document.getElementById("id_preferences-desktop_notifications");
if (notify && "Notification" in window) {
  notify.addEventListener("change", async () => {
    if (notify.checked && Notification.permission === "default") {
      await Notification.requestPermission();
    }
  });
}
