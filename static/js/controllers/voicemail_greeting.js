// The profile page's Voicemail section: record a greeting (voice or video) with the same
// recorder as voice and video mail (recorder.js), preview it, and save it; the server
// checks it with the messaging pipeline (calls.views.greeting_upload).
import { csrfToken } from "../api.js";
import { PageController } from "../controller.js";
import { go } from "../navigation.js";
import { Recorder } from "../recorder.js";

export default class extends PageController {
  setup() {
    const { signal } = this;
    this.recorders = {};
    for (const root of this.element.querySelectorAll("[data-greeting-recorder]")) {
      this.recorders[root.dataset.greetingRecorder] = new Recorder(root, root.dataset.greetingRecorder, { signal });
    }
    for (const radio of this.element.querySelectorAll("[data-greeting-kind]")) {
      radio.addEventListener("change", () => this.choose(radio.value), { signal });
    }
    this.element.querySelector("[data-greeting-save]").addEventListener("click", () => this.save(), { signal });
    this.kind = "voice";
  }

  choose(kind) {
    this.recorders[this.kind]?.end();
    this.kind = kind;
    for (const root of this.element.querySelectorAll("[data-greeting-recorder]")) {
      root.hidden = root.dataset.greetingRecorder !== kind;
    }
  }

  async save() {
    const recorder = this.recorders[this.kind];
    const root = recorder.root;
    const file = recorder.file();
    if (!file) {
      recorder.status(root.dataset.labelNone);
      return;
    }
    const form = new FormData();
    form.set("kind", this.kind);
    form.set("greeting", file);
    const button = this.element.querySelector("[data-greeting-save]");
    button.disabled = true;
    recorder.status(root.dataset.labelSending);
    let response = null;
    let data = null;
    try {
      response = await fetch(this.element.dataset.uploadUrl, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
      data = await response.json().catch(() => null);
    } catch {
      response = null;
    }
    button.disabled = false;
    if (response?.ok && data?.next) {
      go(data.next);
      return;
    }
    recorder.status(data?.detail || root.dataset.labelFailed);
  }

  teardown() {
    for (const recorder of Object.values(this.recorders)) recorder.end();
  }
}
