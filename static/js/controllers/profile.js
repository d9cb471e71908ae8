// Profile and company pages: preview a chosen image, refuse an oversized one before
// uploading it, fill the time zone from the browser, make the long lists (time zones,
// countries, regions) searchable and loaded on demand, and ask for notification
// permission. The server checks everything again.
import { enhanceChoices } from "../choices.js";
import { PageController } from "../controller.js";

export default class extends PageController {
  setup() {
    const signal = this.signal;
    this.previews = [];
    for (const form of this.element.querySelectorAll("form[data-max-bytes]")) {
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
          if (preview.src.startsWith("blob:")) URL.revokeObjectURL(preview.src);
          preview.src = URL.createObjectURL(file);
          this.previews.push(preview.src);
          preview.classList.remove("d-none");
        }
      };
      input.addEventListener("change", check, { signal });
      check(); // a file chosen before this ran (or kept by the back button)
      form.addEventListener("submit", (event) => {
        if (!input.checkValidity()) {
          event.preventDefault();
          input.reportValidity();
        }
      }, { signal });
    }

    for (const button of this.element.querySelectorAll("#detect-time-zone[data-target]")) {
      const select = document.getElementById(button.dataset.target);
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (!select || !zone) {
        button.hidden = true;
        continue;
      }
      button.addEventListener("click", () => {
        // The list loads on demand: the browser's zone is added (the server checks it).
        const control = select.tomselect;
        if (control) {
          control.addOption({ value: zone, text: zone.replaceAll("_", " ") });
          control.setValue(zone);
        } else {
          if (![...select.options].some((o) => o.value === zone)) select.add(new Option(zone, zone));
          select.value = zone;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }, { signal });
    }

    // Time zones, countries, regions and markets: searchable, loaded when opened.
    this.choices = [];
    enhanceChoices(this.element).then((controls) => {
      if (signal.aborted) controls.forEach((control) => control.destroy());
      else this.choices = controls;
    });

    // Turning desktop notifications on asks the browser for permission right away.
    const notify = this.element.querySelector("#id_preferences-desktop_notifications");
    if (notify && "Notification" in window) {
      notify.addEventListener("change", async () => {
        if (notify.checked && Notification.permission === "default") {
          await Notification.requestPermission();
        }
      }, { signal });
    }
  }

  teardown() {
    for (const url of this.previews) URL.revokeObjectURL(url);
    for (const control of this.choices.splice(0)) control.destroy();
  }
}
