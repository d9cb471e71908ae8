// The calls of this tab (protocol: docs/calls.md): started once per tab from app.js and
// alive until the tab closes, whatever page is shown. The server's call record is the
// truth; every (re)connect reloads it from /api/v1/calls/state/.
import { announce } from "../announce.js";
import { getJSON } from "../api.js";
import { live } from "../live.js";
import { setBadge } from "../nav-badges.js";
import { mediaControls } from "./media.js";
import { PeerLink } from "./peer.js";
import { fill, STR } from "./strings.js";
import { ringback, ringtone } from "./tones.js";
import { CallWindow } from "./window.js";

// How long a side whose direct connection failed waits for the call to move to the media
// relay (the server opens a session within a few seconds, or says it cannot).
const RELAY_WAIT_MS = 8000;

// Answers the newest ringing call from anywhere on the page (help: Calls).
const ANSWER_KEY = { key: "A", altKey: true, shiftKey: true };

// One id per tab that survives reloads (sessionStorage), so a reloaded tab can resume.
function tabDevice() {
  let id = sessionStorage.getItem("uc-call-device");
  if (!id) {
    id = crypto.getRandomValues(new Uint32Array(4)).reduce((s, n) => s + n.toString(16), "t");
    sessionStorage.setItem("uc-call-device", id);
  }
  return id;
}

function isTyping(element) {
  return Boolean(element?.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])"));
}

export class Calls {
  constructor(root) {
    this.root = root; // #call-toasts, with the API URLs
    this.device = tabDevice();
    this.call = null; // the call this tab takes part in (server's data)
    this.window = null;
    this.link = null; // the PeerLink of the call
    this.stream = null; // our microphone (+ camera)
    this.cameraTrack = null;
    this.screenTrack = null;
    this.toasts = new Map(); // call id -> toast element
    this.requests = new Map(); // message id -> what to do on an error
    this.ice = null;
    this.focusReturn = null; // where keyboard focus was before a call took it
    this.failure = null; // why this tab's connection failed, shown when the call ends
    this.timing = {}; // for bench/call_setup.py: accept -> first remote frame

    live.on("call.ringing", (e) => this.onRinging(e.call));
    live.on("call.answered", (e) => this.onAnswered(e.call));
    live.on("call.connected", (e) => this.onConnected(e.call));
    live.on("call.ended", (e) => this.onEnded(e.call));
    live.on("call.resumed", (e) => this.onResumed(e.call));
    live.on("call.relayed", (e) => this.onRelayed(e.call));
    live.on("call.signalled", (e) => this.onSignal(e));
    live.on("voicemail.started", (e) => this.onVoicemailStarted(e.call));
    live.on("voicemail.recording", (e) => this.onVoicemailRecording(e));
    live.on("voicemail.left", (e) => this.onVoicemailDone(e.call));
    live.on("voicemail.discarded", (e) => this.onVoicemailDone(e.call));
    live.on("missed_calls.changed", (e) => this.showMissed(e.count));
    live.on("error", (e) => this.onError(e));
    live.onResync(() => this.resync());
    this.bindStarters();
    document.addEventListener("keydown", (event) => this.onKey(event));
    this.keepRoomForLayer();
  }

  /** The page keeps room below for the call layer, and scrolls what gets focus clear of it. */
  keepRoomForLayer() {
    const layer = document.getElementById("call-layer");
    if (!layer || !("ResizeObserver" in window)) return;
    new ResizeObserver(() => {
      // Room from the layer's top edge (it sits fixed above the bottom margin) to the
      // viewport's bottom, plus a little air.
      const rect = layer.getBoundingClientRect();
      const room = rect.height ? Math.ceil(window.innerHeight - rect.top) + 8 : 0;
      document.documentElement.style.setProperty("--call-layer-height", `${room}px`);
    }).observe(layer);
    // scroll-padding covers most of it, but Chromium scrolls a text field only until its
    // caret is clear: bring the whole control above the layer.
    document.addEventListener("focusin", (event) => {
      const target = event.target;
      if (!(target instanceof Element) || layer.contains(target)) return;
      const top = layer.getBoundingClientRect();
      if (!top.height) return;
      const overlap = target.getBoundingClientRect().bottom - top.top + 8;
      if (overlap > 0) window.scrollBy({ top: overlap, behavior: "instant" });
    });
  }

  /** For tests and the console: the RTCPeerConnection in use. */
  get pc() {
    return this.link?.pc || null;
  }

  // The snapshot after every (re)connect: active calls and the missed count.
  async resync() {
    const state = await getJSON(this.root.dataset.stateUrl);
    this.showMissed(state.missed);
    const active = new Map(state.active.map((c) => [c.id, c]));
    for (const id of [...this.toasts.keys()]) {
      if (!active.has(id) || active.get(id).state !== "ringing") this.dropToast(id);
    }
    if (this.call && !active.has(this.call.id)) {
      try {
        this.onEnded(await getJSON(`${this.root.dataset.stateUrl.replace(/state\/$/, "")}${this.call.id}/`));
      } catch {
        this.onEnded({ ...this.call, state: "ended", end_reason_label: "" });
      }
    }
    for (const call of active.values()) {
      if (call.state === "ringing" && call.direction === "incoming") this.onRinging(call);
      const mine = call.caller_device === this.device || call.answered_device === this.device;
      if (call.state === "answered" && mine) this.resume(call);
    }
  }

  showMissed(count) {
    if (count && document.querySelector("[data-call-log]")) {
      // the call log is on screen: these calls are seen
      getJSON(this.root.dataset.seenUrl, { method: "POST" }).catch(() => {});
      count = 0;
    }
    setBadge("missed-calls", count);
  }

  send(message, onError) {
    const id = `c${Math.random().toString(36).slice(2)}`;
    if (onError) this.requests.set(id, onError);
    return live.send({ ...message, id });
  }

  onError(event) {
    const handler = this.requests.get(event.ref);
    if (!handler) return;
    this.requests.delete(event.ref);
    handler(event);
  }

  async iceConfig() {
    if (!this.ice || (this.ice.expires && this.ice.expires * 1000 < Date.now() + 60000)) {
      this.ice = await getJSON(this.root.dataset.iceUrl);
    }
    return { iceServers: this.ice.iceServers, iceTransportPolicy: this.ice.iceTransportPolicy };
  }

  // --- keyboard focus --------------------------------------------------------------------
  /** Remember where focus was before a call's UI takes it (once per call). */
  rememberFocus() {
    const active = document.activeElement;
    if (this.focusReturn || !active || active === document.body) return;
    if (this.window?.contains(active) || active.closest?.("#call-toasts")) return;
    this.focusReturn = active;
  }

  /** Give focus back, if a call's UI holds it (or nothing does). */
  restoreFocus() {
    const target = this.focusReturn;
    this.focusReturn = null;
    const active = document.activeElement;
    const inCallUi = !active || active === document.body || !active.isConnected ||
      this.window?.contains(active) || active.closest?.("#call-layer");
    if (!inCallUi) return;
    if (target?.isConnected) target.focus();
    else document.getElementById("main")?.focus();
  }

  onKey(event) {
    if (event.key.toUpperCase() === ANSWER_KEY.key && event.altKey === ANSWER_KEY.altKey &&
        event.shiftKey === ANSWER_KEY.shiftKey && !event.ctrlKey && !event.metaKey) {
      const toast = [...this.toasts.values()].at(-1);
      const button = toast?.querySelector("[data-accept=audio]");
      if (!button) return;
      event.preventDefault();
      this.rememberFocus();
      button.click();
    } else if (event.key === "Escape" && this.window?.isEnded && !this.call) {
      // an ended call window closes with Escape from wherever focus is not busy elsewhere
      const active = document.activeElement;
      if (!active || active === document.body || this.window.contains(active)) {
        event.preventDefault();
        this.closeWindow();
      }
    }
  }

  // --- starting a call ---------------------------------------------------------------------
  // Call buttons anywhere (data-call-user), the monitor's menu, and the dial box
  // (controllers/dial_box.js) all ask through the document, which outlives page visits.
  bindStarters() {
    document.addEventListener("click", (event) => {
      const button = event.target.closest("[data-call-user]");
      if (!button) return;
      event.preventDefault();
      this.start(
        { id: button.dataset.callUser, name: button.dataset.callName || "", initials: "" },
        button.dataset.callMedia === "video" ? "video" : "audio",
      );
    });
    document.addEventListener("monitor:action", (event) => {
      const { action, person } = event.detail;
      if (action === "call" || action === "video") this.start(person, action === "video" ? "video" : "audio");
    });
    document.addEventListener("call:start", (event) => this.start(event.detail.person, event.detail.media));
  }

  async start(person, media) {
    if (this.call || this.window?.el.dataset.state === "calling") {
      this.flash(STR.already);
      return;
    }
    this.rememberFocus();
    this.closeWindow({ keepFocus: true });
    this.window = new CallWindow(this, { name: person.name || "…", initials: person.initials || "", photo: person.photo }, media);
    this.window.status("calling", STR.calling);
    this.window.focus();
    const win = this.window;
    if (!(await this.getMedia(media === "video"))) return;
    if (this.window !== win) return;
    this.iceConfig().catch(() => {}); // warm up while it rings
    const sent = this.send(
      { type: "call.start", callee: person.id, media, device: this.device },
      (error) => {
        ringback.stop();
        this.stopMedia();
        win.ended(error.detail);
        if (error.code === "calling_you") this.offerIncomingFrom(person.id, error.detail);
      },
    );
    if (!sent) {
      this.stopMedia();
      win.ended(STR.reconnecting);
      return;
    }
    ringback.start();
  }

  /** They called us at the same moment: their call rings here, so offer it instead. */
  offerIncomingFrom(personId, text) {
    const entry = [...this.toasts.entries()].find(([, toast]) => toast.dataset.peer === String(personId));
    if (!entry) return;
    this.window?.remove();
    this.window = null;
    announce(text, { assertive: true });
    entry[1].querySelector("[data-accept]:not([hidden])")?.focus();
  }

  flash(text) {
    if (this.window) this.window.alert(text);
    else announce(text, { assertive: true });
  }

  // --- incoming calls ------------------------------------------------------------------
  onRinging(call) {
    if (call.direction === "outgoing") {
      if (call.caller_device !== this.device) return; // started in another tab
      if (this.window && !this.call) {
        this.call = call;
        this.window.setPeer(call.peer);
        this.window.status("ringing", STR.ringing);
      }
      return;
    }
    if (this.toasts.has(call.id)) return;
    const toast = document.getElementById("call-toast-template").content.firstElementChild.cloneNode(true);
    const title = call.media === "video" ? STR.incoming_video : STR.incoming_audio;
    const text = `${title} ${STR.from} ${call.peer.name}`;
    toast.dataset.peer = call.peer.id;
    toast.querySelector("[data-title]").textContent = title;
    toast.querySelector("[data-text]").textContent = text;
    toast.setAttribute("aria-label", text);
    if (call.media !== "video") toast.querySelector("[data-accept=video]").hidden = true;
    for (const button of toast.querySelectorAll("[data-accept]")) {
      button.addEventListener("click", () => this.accept(call, button.dataset.accept));
    }
    toast.querySelector("[data-decline]").addEventListener("click", () => {
      this.send({ type: "call.decline", call: call.id });
    });
    toast.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.send({ type: "call.decline", call: call.id });
      }
    });
    this.toasts.set(call.id, toast);
    this.root.append(toast);
    announce(`${text}. ${STR.answer_key}`, { assertive: true });
    // Into the call at once, unless the user is typing (their keys must not answer it).
    if (!this.call && !isTyping(document.activeElement)) {
      this.rememberFocus();
      toast.focus();
    }
    ringtone.start();
  }

  dropToast(id, text) {
    const toast = this.toasts.get(id);
    if (!toast) return;
    const hadFocus = toast.contains(document.activeElement);
    this.toasts.delete(id);
    if (!this.toasts.size) ringtone.stop();
    if (!text) {
      toast.remove();
    } else {
      toast.querySelector("[data-text]").textContent = text;
      toast.querySelector("[data-buttons]").remove();
      // no longer a question to answer: a notice
      toast.setAttribute("role", "status");
      toast.removeAttribute("aria-label");
      toast.removeAttribute("tabindex");
      announce(text);
      setTimeout(() => toast.remove(), 4000);
    }
    if (hadFocus || !this.window) this.restoreFocus();
  }

  async accept(call, how) {
    if (this.call) {
      this.flash(STR.already);
      return;
    }
    this.timing = { acceptedAt: performance.now() };
    ringtone.stop();
    this.rememberFocus();
    this.closeWindow({ keepFocus: true });
    this.window = new CallWindow(this, call.peer, call.media);
    this.window.status("connecting", STR.connecting);
    this.window.focus();
    const win = this.window;
    if (!(await this.getMedia(how === "video" && call.media === "video"))) return;
    this.call = call;
    await this.connect(); // ready before the caller's offer can arrive
    this.send({ type: "call.accept", call: call.id, device: this.device }, (error) => {
      this.teardown();
      win.ended(error.detail);
    });
  }

  async onAnswered(call) {
    if (call.direction === "incoming") {
      if (call.answered_device !== this.device) {
        this.dropToast(call.id, STR.answered_elsewhere);
        return;
      }
      this.dropToast(call.id);
      this.call = call;
      this.window?.setRelayed(call.relayed);
      if (!call.relayed) return; // the peer connection waits for the caller's offer
      // Relayed: this side offers too, to the media relay (the server answers).
      await this.connect();
      await this.offer(false);
      return;
    }
    if (call.caller_device !== this.device) return;
    ringback.stop();
    this.call = call;
    this.window?.setRelayed(call.relayed);
    this.window?.status("connecting", STR.connecting);
    await this.connect();
    await this.offer(false);
  }

  // A direct call that could not connect now goes through the media relay: both sides
  // connect to the server afresh and offer.
  async onRelayed(call) {
    if (!this.call || this.call.id !== call.id) return;
    this.cancelRelayWait?.();
    this.call = call;
    this.window?.setRelayed(true);
    this.window?.status("connecting", STR.connecting_relay);
    await this.connect();
    await this.offer(false);
  }

  onConnected(call) {
    if (!this.call || this.call.id !== call.id) return;
    this.call = call;
    if (this.link?.everConnected) this.window?.startTimer(Date.parse(call.connected_at));
  }

  onEnded(call) {
    // A call that rang here and stopped says why (cancelled, no answer, declined) for a moment.
    this.dropToast(call.id, `${STR.ended} ${call.end_reason_label}`);
    if (!this.call || this.call.id !== call.id) {
      // our own start that the server ended at once (busy, offline)
      if (!(this.window && !this.call && call.direction === "outgoing" && call.caller_device === this.device)) return;
    }
    ringback.stop();
    // Why it failed, as far as this side can tell: its own conclusion, or, when the other
    // side gave up first, what this side saw (not after our own Hang up).
    const why = call.end_reason === "failed" && !this.hungUp ? this.failure || this.link?.diagnosis() : null;
    this.teardown();
    this.window?.ended(call.end_reason_label);
    if (why) this.window?.alert(fill(why, call.peer.name));
    announce(`${STR.ended} ${call.end_reason_label}`);
    if (call.direction === "outgoing" && call.voicemail === "offered") {
      this.window?.offerVoicemail(call.media, () => this.leaveMessage(call));
    }
  }

  // --- voicemail (docs/calls.md, "Voicemail") ----------------------------------------------
  /** The call could not be answered: leave a message (the relay answers and records). */
  async leaveMessage(call) {
    if (this.call) {
      this.flash(STR.already);
      return;
    }
    const win = this.window;
    win.voicemailStarting();
    if (!(await this.getMedia(call.media === "video"))) return;
    if (this.window !== win) return;
    this.iceConfig().catch(() => {});
    this.send({ type: "call.voicemail", call: call.id, device: this.device }, (error) => {
      this.teardown();
      win.ended(error.detail);
    });
  }

  async onVoicemailStarted(call) {
    if (call.direction !== "outgoing" || call.caller_device !== this.device || !this.window) return;
    this.call = call;
    this.window.status("voicemail", STR.voicemail_connecting);
    await this.connect();
    await this.offer(false);
  }

  onVoicemailRecording(event) {
    if (this.call?.id !== event.call) return;
    this.window?.status("voicemail", STR.voicemail_recording);
    this.window?.countdown(event.seconds);
    announce(STR.voicemail_recording, { assertive: true });
  }

  onVoicemailDone(call) {
    if (call.direction !== "outgoing" || this.call?.id !== call.id) return;
    const text = call.voicemail === "left" ? call.voicemail_label : call.voicemail_note || call.voicemail_label;
    this.teardown();
    this.window?.ended(call.end_reason_label);
    this.window?.status("ended", text);
    announce(text);
  }

  teardown() {
    this.cancelRelayWait?.();
    this.cancelRelayWait = null;
    this.relayTried = false;
    this.link?.close();
    this.link = null;
    this.call = null;
    this.failure = null;
    this.hungUp = false;
    this.stopMedia();
  }

  closeWindow({ keepFocus = false } = {}) {
    if (this.call) return;
    if (!this.window) return;
    this.window.remove();
    this.window = null;
    if (!keepFocus) this.restoreFocus();
  }

  // A reconnected (or reloaded) tab takes its answered call back.
  async resume(call) {
    if (this.call && this.call.id === call.id && this.link) {
      this.send({ type: "call.resume", call: call.id, device: this.device });
      return;
    }
    if (this.call) return;
    this.window = this.window || new CallWindow(this, call.peer, call.media);
    this.window.status("reconnecting", STR.reconnecting);
    if (!(await this.getMedia(call.media === "video"))) return;
    this.call = call;
    this.send({ type: "call.resume", call: call.id, device: this.device });
  }

  // Either side resumed: both start a fresh connection; the caller offers.
  async onResumed(call) {
    if (!this.call || this.call.id !== call.id) return;
    this.call = call;
    this.window?.setRelayed(call.relayed);
    this.window?.status("reconnecting", STR.reconnecting);
    await this.connect();
    // Direct: the caller offers; relayed: both offer, each to the relay.
    if (call.direction === "outgoing" || call.relayed) await this.offer(false);
  }

  // --- WebRTC ------------------------------------------------------------------------
  onSignal(event) {
    // In order, and not before the connection being built (the offer can arrive first).
    this.signals = (this.signals || Promise.resolve()).then(async () => {
      await this.linkReady?.catch(() => {});
      if (this.link?.call.id === event.call) await this.link.signal(event);
    });
  }

  connect() {
    this.linkReady = this.buildLink();
    return this.linkReady;
  }

  async buildLink() {
    this.link?.close();
    this.link = null;
    const call = this.call;
    const ice = await this.iceConfig();
    if (this.call !== call) return;
    const remote = new MediaStream();
    this.link = new PeerLink({
      call,
      stream: this.stream,
      cameraTrack: this.cameraTrack,
      ice,
      connectedBefore: Boolean(call.connected_at),
      on: {
        signal: (message) => this.send(message),
        track: (event) => {
          remote.addTrack(event.track);
          this.window?.showRemote(remote);
          if (event.track.kind === "video") this.watchFirstFrame();
        },
        restart: () => this.offer(true).catch(() => {}),
        state: (state, detail) => this.onLinkState(state, detail),
      },
    });
  }

  onLinkState(state, detail = {}) {
    const call = this.call;
    if (!call) return;
    if (call.voicemail === "recording") {
      // Leaving a message: the voicemail session answers (no call.connected: the call ended).
      if (state === "connected" && !this.window?.counting) this.window?.status("voicemail", STR.voicemail_greeting);
      if (state === "failed") this.send({ type: "call.hangup", call: call.id });
      return;
    }
    if (state === "connected") {
      this.window?.status("connected", STR.connected);
      if (detail.first) this.send({ type: "call.connected", call: call.id });
      this.window?.startTimer(Date.parse(call.connected_at) || Date.now());
    } else if (state === "slow") {
      this.window?.status("connecting", STR.still_connecting);
    } else if (state === "reconnecting") {
      this.window?.status("reconnecting", STR.reconnecting);
    } else if (state === "failed") {
      this.failure = detail.reason;
      if (!call.relayed && !this.link?.everConnected && !this.relayTried) {
        this.tryRelay(call);
        return;
      }
      this.window?.status("failed", STR.could_not_connect);
      this.send({ type: "call.hangup", call: call.id, reason: "failed" });
    }
  }

  /** No direct path (not even through TURN): the caller asks for the media relay; the
   * other side waits for it. No relay within RELAY_WAIT_MS: the call failed. */
  tryRelay(call) {
    this.relayTried = true;
    this.window?.status("connecting", STR.connecting_relay);
    const giveUp = () => {
      if (this.call?.id !== call.id || this.call.relayed) return;
      this.window?.status("failed", STR.could_not_connect);
      this.send({ type: "call.hangup", call: call.id, reason: "failed" });
    };
    const timer = setTimeout(giveUp, RELAY_WAIT_MS);
    this.cancelRelayWait = () => clearTimeout(timer);
    if (call.direction !== "outgoing") return;
    this.send({ type: "call.relay", call: call.id }, (error) => {
      if (error.code === "already_relayed") return;
      // No relay either: the window keeps explaining what blocked the direct path.
      clearTimeout(timer);
      giveUp();
    });
  }

  watchFirstFrame() {
    const video = this.window?.remote;
    if (!video || !("requestVideoFrameCallback" in video)) return;
    video.requestVideoFrameCallback(() => {
      this.timing.firstFrameAt = performance.now();
    });
  }

  async offer(restart) {
    await this.link?.offer(restart);
  }

  // --- in-call controls (the media ones are in media.js) ---------------------------
  hangup() {
    if (!this.call) {
      // still waiting for the server to confirm the start
      ringback.stop();
      this.stopMedia();
      this.closeWindow();
      return;
    }
    const call = this.call;
    this.hungUp = true;
    const type = call.state === "ringing" && call.direction === "outgoing" ? "call.cancel" : "call.hangup";
    this.send({ type, call: call.id });
  }
}

Object.assign(Calls.prototype, mediaControls);
