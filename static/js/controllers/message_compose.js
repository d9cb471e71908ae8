// Writing a message: the To field is a searchable multi-select of the people one may
// message (static/js/choices.js loads them from the API when it opens). For a voice or
// video mail the page records in the browser (recorder.js) and the Send button uploads
// the recording with the form's fields to /api/v1/messages/recordings/.
import { csrfToken } from "../api.js";
import { enhanceChoices } from "../choices.js";
import { PageController } from "../controller.js";
import { messagesData } from "../messages.js";
import { go } from "../navigation.js";
import { Recorder } from "../recorder.js";

export default class extends PageController {
  setup() {
    messagesData.paintFolders();
    this.controls = [];
    const { signal } = this;
    enhanceChoices(this.element).then((controls) => {
      if (signal.aborted) controls.forEach((control) => control.destroy());
      else this.controls = controls;
    });
    const kind = this.element.dataset.kind;
    const root = this.element.querySelector("[data-recorder]");
    if (kind === "text" || !root) return;
    this.recorder = new Recorder(root, kind, { signal });
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send(kind, root);
    }, { signal });
  }

  async send(kind, root) {
    const file = this.recorder.file();
    if (!file) {
      this.recorder.status(root.dataset.labelNone);
      return;
    }
    const form = new FormData(this.element);
    form.delete("csrfmiddlewaretoken");
    form.set("kind", kind);
    form.set("recording", file);
    if (this.element.dataset.replyTo) form.set("reply_to", this.element.dataset.replyTo);
    const button = this.element.querySelector("button[type=submit]");
    button.disabled = true;
    this.recorder.status(root.dataset.labelSending);
    let response;
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
    if (response?.ok) {
      go(this.element.dataset.sentUrl);
      return;
    }
    const first = data && (data.detail || Object.values(data).flat()[0]);
    this.recorder.status(first || root.dataset.labelFailed);
  }

  teardown() {
    for (const control of this.controls) control.destroy();
    this.recorder?.end();
  }
}
