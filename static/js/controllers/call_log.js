// Presence next to the people in the call log, from the Online Monitor's data.
import { PageController } from "../controller.js";
import { monitorData } from "../monitor.js";

export default class extends PageController {
  setup() {
    this.paint();
    monitorData.addEventListener("change", () => this.paint(), { signal: this.signal });
  }

  paint() {
    for (const cell of this.element.querySelectorAll("[data-presence-of]")) {
      const state = monitorData.stateOf(cell.dataset.presenceOf);
      if (!state) continue;
      cell.textContent = monitorData.label(state);
      cell.dataset.state = state;
    }
  }
}
