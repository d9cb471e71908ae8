// Diary notices on every page, started once from app.js (docs/realtime.md, "Diary").
// An invitation, an answer to one of mine and a reminder falling due each come as a
// message in the inbox (an Invitation or answer from the person, a Reminder), which
// messages.js announces: the diary adds no notice of its own, so nothing shows twice.
// Its events (diary.invited, diary.answered, diary.changed, diary.reminder) make an open
// diary page reload what it shows (controllers/diary.js).
export function startDiaryNotices() {}
