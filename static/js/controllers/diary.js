// The diary page (templates/diary/calendar.html): the appointment dialog opened from any
// appointment, the today line kept at the current time, and a reload of what is shown when
// an appointment of mine changes elsewhere (another tab, an invitation, an answer).
import { getJSON } from "../api.js";
import { PageController } from "../controller.js";
import { go, reload } from "../navigation.js";

const STATUS = { needs_action: "not answered", accepted: "accepted", tentative: "tentative", declined: "declined" };

function fill(url, id) {
  return url.replace("{id}", id);
}

export default class extends PageController {
  setup() {
    this.dialog = this.element.querySelector("[data-diary-dialog]");
    this.element.addEventListener("click", (event) => {
      const button = event.target.closest("[data-event]");
      if (button) this.open(button);
      if (event.target.closest("[data-close]")) this.dialog.close();
    }, { signal: this.signal });
    const scroll = this.element.querySelector("[data-diary-scroll]");
    if (scroll) {
      // Start the day at 07:00 (or at the now line on today).
      const hour = scroll.scrollHeight / 24;
      const now = this.element.querySelector("[data-diary-now]");
      scroll.scrollTop = now ? Math.max(0, now.offsetTop - 2 * hour) : 7 * hour;
    }
    // The appointment form in a dialog: links marked data-turbo-frame="appointment-form"
    // load the form page's frame into it (without scripts they open the full page).
    this.formDialog = this.element.querySelector("[data-diary-form-dialog]");
    this.formFrame = this.element.querySelector("[data-diary-form-frame]");
    if (this.formFrame) {
      this.formFrame.addEventListener("turbo:frame-load", () => this.formLoaded(), { signal: this.signal });
      this.formDialog.addEventListener("click", (event) => {
        if (event.target.closest("[data-close-form], [data-form-cancel]")) {
          event.preventDefault();
          this.closeForm();
        }
      }, { signal: this.signal });
      this.formDialog.addEventListener("close", () => {
        // Emptied, and without a source: the same link opens it afresh next time.
        this.formFrame.removeAttribute("src");
        this.formFrame.replaceChildren();
      }, { signal: this.signal });
      this.element.addEventListener("click", (event) => {
        if (event.target.closest("[data-edit]")) this.dialog.close();
      }, { signal: this.signal });
    }
    this.every(60000, () => this.moveNow());
    for (const type of ["diary.changed", "diary.invited"]) {
      this.onLive(type, () => this.refresh());
    }
  }

  teardown() {
    if (this.dialog?.open) this.dialog.close();
    if (this.formDialog?.open) this.formDialog.close();
  }

  refresh() {
    // Do not pull a dialog away from under the reader.
    if (this.dialog?.open || this.formDialog?.open) return;
    reload();
  }

  formLoaded() {
    const saved = this.formFrame.querySelector("[data-form-saved]");
    if (saved) {
      this.closeForm();
      go(saved.dataset.formSaved);
    } else if (this.formFrame.childElementCount && !this.formDialog.open) {
      this.formDialog.showModal();
      this.formFrame.querySelector("input:not([type=hidden]), select, textarea")?.focus();
    }
  }

  closeForm() {
    if (this.formDialog.open) this.formDialog.close();
  }

  moveNow() {
    const line = this.element.querySelector("[data-diary-now]");
    if (!line) return;
    const now = new Date();
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    line.style.top = `${((now - midnight) / 864e5) * 100}%`;
  }

  async open(button) {
    const d = this.element.dataset;
    const id = button.dataset.id;
    const occurrence = button.dataset.occurrence;
    let data;
    try {
      data = await getJSON(fill(d.appointmentUrl, id));
    } catch {
      return;
    }
    const field = (name) => this.dialog.querySelector(`[data-field=${name}]`);
    field("title").textContent = data.title;
    const start = new Date(button.dataset.start);
    const end = new Date(button.dataset.end);
    const opts = { timeZone: d.zone, weekday: "long", day: "numeric", month: "long", year: "numeric" };
    const time = { timeZone: d.zone, hour: "2-digit", minute: "2-digit" };
    if (data.all_day) {
      field("when").textContent = new Date(button.dataset.start).toLocaleDateString([], { ...opts, timeZone: "UTC" });
    } else {
      field("when").textContent = `${start.toLocaleDateString([], opts)}, ${start.toLocaleTimeString([], time)} – ${end.toLocaleTimeString([], time)}`;
    }
    field("repeat").textContent = data.rrule || data.series ? "↻ " + (data.rrule || "") : "";
    field("location").textContent = data.location;
    field("description").textContent = data.description;
    field("organiser").textContent = data.mine && !data.organiser.external ? "" : `${data.organiser.name}`;
    const list = field("attendees");
    list.replaceChildren(...data.attendees.map((a) => {
      const li = document.createElement("li");
      li.textContent = `${a.name || a.email}: ${STATUS[a.status] || a.status}`;
      li.dataset.status = a.status;
      return li;
    }));
    const answer = this.dialog.querySelector("[data-answer]");
    answer.hidden = data.mine || !data.my_status;
    answer.action = fill(d.answerUrl, id);
    field("my_status").textContent = STATUS[data.my_status] || "";
    const owner = this.dialog.querySelector("[data-owner-actions]");
    owner.hidden = !data.mine;
    const recurring = Boolean(occurrence) || Boolean(data.series);
    const edit = this.dialog.querySelector("[data-edit]");
    edit.href = fill(d.editUrl, id) + `?view=${d.view}` + (occurrence ? `&occurrence=${occurrence}` : "");
    const del = this.dialog.querySelector("[data-delete]");
    del.action = fill(d.deleteUrl, id);
    del.querySelector("[name=occurrence]").value = occurrence || "";
    const scope = del.querySelector("[data-scope]");
    scope.hidden = !recurring;
    scope.value = recurring ? "this" : "all";
    this.dialog.querySelector("[data-ics]").href = data.ics;
    this.dialog.showModal();
  }
}
