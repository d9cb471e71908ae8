// One message or announcement: opening it marks it read (a POST, so the GET of the page
// changes nothing).
import { api } from "../api.js";
import { PageController } from "../controller.js";
import { messagesData } from "../messages.js";

export default class extends PageController {
  setup() {
    messagesData.paintFolders();
    if (this.element.hasAttribute("data-unread")) {
      this.element.removeAttribute("data-unread");
      const url = this.element.dataset.readUrl || `messages/${this.element.dataset.messageId}/read/`;
      api("POST", url).then(() => messagesData.load());
    }
  }
}
