// Diary notices on every page, started once from app.js: an invitation arriving, an
// answer to one of my invitations (docs/realtime.md, "Diary"). A reminder falling due is a
// Reminder message, announced by messages.js.
import { live } from "./live.js";
import { notice } from "./notices.js";

function when(iso) {
  const date = new Date(iso);
  return date.toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

function labels() {
  return document.getElementById("notices")?.dataset || {};
}

export function startDiaryNotices() {
  live.on("diary.invited", (event) => {
    const l = labels();
    notice({
      title: l.labelDiaryInvited || "Invitation",
      text: `${event.organiser}: ${event.title}, ${when(event.start)}`,
      href: `/diary/?view=week&date=${event.start.slice(0, 10)}`,
      linkText: l.labelDiaryAnswer || "Open in the diary to answer",
    });
  });
  live.on("diary.answered", (event) => {
    const l = labels();
    const status = { accepted: l.labelDiaryAccepted || "accepted", tentative: l.labelDiaryTentative || "tentative", declined: l.labelDiaryDeclined || "declined" }[event.status] || event.status;
    notice({ title: event.title, text: `${event.attendee}: ${status}` });
  });
  // diary.reminder: the Reminder message it comes with is announced by messages.js.
}
