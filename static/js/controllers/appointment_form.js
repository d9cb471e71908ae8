// The appointment form (templates/diary/appointment_form.html): shows the chosen
// colleagues' busy blocks for the day (never what they are) and offers the first time
// when everyone is free, in one click.
import { getJSON } from "../api.js";
import { PageController } from "../controller.js";

function minutes(value) {
  const [h, m] = (value || "").split(":").map(Number);
  return Number.isFinite(h) ? h * 60 + (m || 0) : null;
}

/** "HH:MM" of an instant in the diary's time zone. */
function hhmm(date, zone) {
  return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });
}

export default class extends PageController {
  setup() {
    this.people = this.element.querySelector("[name=colleagues]");
    this.date = this.element.querySelector("[name=date]");
    this.start = this.element.querySelector("[name=start_time]");
    this.end = this.element.querySelector("[name=end_time]");
    this.out = this.element.querySelector("[data-freebusy]");
    for (const el of [this.people, this.date, this.start, this.end]) {
      el?.addEventListener("change", () => this.show(), { signal: this.signal });
    }
    this.show();
  }

  chosen() {
    return [...(this.people?.selectedOptions || [])].map((o) => ({ id: o.value, name: o.textContent }));
  }

  async show() {
    const people = this.chosen();
    if (!people.length || !this.date.value) {
      this.out.replaceChildren();
      return;
    }
    const s = minutes(this.start.value);
    const e = minutes(this.end.value);
    const duration = s !== null && e !== null && e > s ? e - s : 60;
    const d = this.element.dataset;
    let data;
    try {
      data = await getJSON(`${d.freebusyUrl}?people=${people.map((p) => p.id).join(",")}&date=${this.date.value}&duration=${duration}`);
    } catch {
      return;
    }
    const zone = d.zone;
    const dayOf = (date) => date.toLocaleDateString("en-CA", { timeZone: zone });
    const position = (iso) => {
      const date = new Date(iso);
      if (dayOf(date) < this.date.value) return 0;
      if (dayOf(date) > this.date.value) return 1;
      return minutes(hhmm(date, zone)) / 1440;
    };
    const rows = people.map((p) => {
      const row = document.createElement("div");
      row.className = "freebusy-row";
      row.dataset.person = p.id;
      const name = document.createElement("span");
      name.textContent = p.name;
      name.style.minWidth = "10rem";
      const bar = document.createElement("div");
      bar.className = "freebusy-bar";
      const blocks = data.people[p.id] || [];
      const said = [];
      for (const b of blocks) {
        const from = position(b.start);
        const to = position(b.end);
        const span = document.createElement("span");
        span.style.left = `${from * 100}%`;
        span.style.width = `${Math.max(0, to - from) * 100}%`;
        span.dataset.busy = "";
        bar.append(span);
        said.push(`${hhmm(new Date(b.start), zone)}–${hhmm(new Date(b.end), zone)}`);
      }
      const text = document.createElement("span");
      text.className = "visually-hidden";
      text.textContent = said.length ? `${d.labelBusy}: ${said.join(", ")}` : d.labelFree;
      row.append(name, bar, text);
      return row;
    });
    const first = document.createElement("p");
    first.className = "mb-0 mt-1";
    if (data.first_free) {
      const when = new Date(data.first_free);
      const at = hhmm(when, zone);
      first.append(`${d.labelFirstFree} ${at} `);
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "btn btn-sm btn-outline-primary";
      pick.textContent = `${d.labelPick} (${at})`;
      pick.addEventListener("click", () => {
        const end = new Date(when.getTime() + duration * 60000);
        this.start.value = at;
        this.end.value = hhmm(end, zone);
        this.show();
      });
      first.append(pick);
    } else {
      first.textContent = d.labelNoneFree;
    }
    this.out.replaceChildren(...rows, first);
  }
}
