// Writing a message: the To field is a searchable multi-select of the people one may
// message (static/js/choices.js loads them from the API when it opens).
import { enhanceChoices } from "../choices.js";
import { PageController } from "../controller.js";
import { messagesData } from "../messages.js";

export default class extends PageController {
  setup() {
    messagesData.paintFolders();
    this.controls = [];
    const { signal } = this;
    enhanceChoices(this.element).then((controls) => {
      if (signal.aborted) controls.forEach((control) => control.destroy());
      else this.controls = controls;
    });
  }

  teardown() {
    for (const control of this.controls) control.destroy();
  }
}
