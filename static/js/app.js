// The one script of every page, loaded once in <head> (docs/realtime.md, "Page navigation
// and page scripts"): Bootstrap, Turbo Drive, the Stimulus controllers of page scripts,
// and, when signed in, what lives as long as the tab: the live connection, the Online
// Monitor's data and calls.
import "../vendor/bootstrap/bootstrap.bundle.min.js";
import { Application } from "../vendor/stimulus/stimulus.js";
import { startCalls } from "./calls.js";
import CallLog from "./controllers/call_log.js";
import ContactsImport from "./controllers/contacts_import.js";
import ContactsSearch from "./controllers/contacts_search.js";
import AppointmentForm from "./controllers/appointment_form.js";
import Diary from "./controllers/diary.js";
import DialBox from "./controllers/dial_box.js";
import MessageCompose from "./controllers/message_compose.js";
import MessageDetail from "./controllers/message_detail.js";
import MessagesInbox from "./controllers/messages_inbox.js";
import Monitor from "./controllers/monitor.js";
import Profile from "./controllers/profile.js";
import VoicemailGreeting from "./controllers/voicemail_greeting.js";
import { startDiaryNotices } from "./diary-notices.js";
import { live } from "./live.js";
import { messagesData } from "./messages.js";
import { monitorData } from "./monitor.js";
import { startNavigation } from "./navigation.js";
import { trackActivity } from "./presence.js";

const signedIn = Boolean(document.body.dataset.liveUrl);
startNavigation({ signedIn });

const LOOK = {
  connecting: ["text-bg-secondary", "Connecting…"],
  connected: ["text-bg-success", "Connected"],
  offline: ["text-bg-danger", "Offline"],
  "signed-out": ["text-bg-warning", "Signed out"],
};

// The badge in the top bar is data-turbo-permanent: one element across visits (its id
// carries the language, so a page in another language brings its own).
function showLiveState(state) {
  const badge = document.querySelector("[data-live-status]");
  if (!badge) return;
  const [cls, fallback] = LOOK[state];
  badge.className = `badge rounded-pill ${cls}`;
  badge.dataset.state = state;
  const key = `label${state.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}`;
  badge.querySelector(".live-status-text").textContent = badge.dataset[key] || fallback;
}

if (signedIn) {
  live.addEventListener("statechange", (event) => showLiveState(event.detail.state));
  showLiveState(live.state);
  document.addEventListener("turbo:load", () => showLiveState(live.state));
  trackActivity(Number(document.body.dataset.awayMinutes) || 10);
  monitorData.start();
  messagesData.start();
  startCalls();
  startDiaryNotices();
  live.start();
  window.ucLive = live; // for the browser console and tests
}

// Page scripts: one controller per behaviour, connected while its element is on the page.
const stimulus = Application.start();
stimulus.register("appointment-form", AppointmentForm);
stimulus.register("call-log", CallLog);
stimulus.register("contacts-import", ContactsImport);
stimulus.register("contacts-search", ContactsSearch);
stimulus.register("diary", Diary);
stimulus.register("dial-box", DialBox);
stimulus.register("message-compose", MessageCompose);
stimulus.register("message-detail", MessageDetail);
stimulus.register("messages-inbox", MessagesInbox);
stimulus.register("monitor", Monitor);
stimulus.register("profile", Profile);
stimulus.register("voicemail-greeting", VoicemailGreeting);
