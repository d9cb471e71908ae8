// The dial box on the call log: suggests people as you type; Call / Video call starts the
// call through the calls of this tab (calls.js listens for "call:start").
import { getJSON } from "../api.js";
import { PageController } from "../controller.js";

export default class extends PageController {
  setup() {
    const form = this.element;
    const input = form.querySelector("input");
    const list = form.querySelector("datalist");
    const message = form.querySelector("[data-dial-message]");
    const signal = this.signal;
    let media = "audio";
    const search = (q) => getJSON(`${form.dataset.peopleUrl}?q=${encodeURIComponent(q)}`);
    input.addEventListener("input", async () => {
      if (input.value.trim().length < 2) return;
      const people = await search(input.value.trim());
      list.replaceChildren(...people.map((p) => new Option(p.name, p.email)));
    }, { signal });
    for (const button of form.querySelectorAll("[data-media]")) {
      button.addEventListener("click", () => {
        media = button.dataset.media;
      }, { signal });
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const q = input.value.trim();
      const people = await search(q);
      const exact = people.filter((p) => p.email.toLowerCase() === q.toLowerCase());
      const chosen = exact.length === 1 ? exact[0] : people.length === 1 ? people[0] : null;
      message.textContent = chosen ? "" : people.length ? form.dataset.labelSeveral : form.dataset.labelNobody;
      if (chosen) document.dispatchEvent(new CustomEvent("call:start", { detail: { person: chosen, media } }));
    }, { signal });
  }
}
