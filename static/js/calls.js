// Browser-to-browser calls (protocol: docs/calls.md). Signalling over the live
// connection, media with RTCPeerConnection; the server's call record is the truth and
// every (re)connect reloads it from /api/v1/calls/state/. Started once per tab (app.js):
// the call window lives in the call layer of base.html, which page visits never touch.
import { getJSON } from "./api.js";
import { live } from "./live.js";
import { setBadge } from "./nav-badges.js";

let root = null; // #call-toasts, with the API URLs
let STR = {};
const RESTART_AFTER_MS = 2000; // ICE "disconnected" this long: try an ICE restart
const GIVE_UP_AFTER_MS = 7000; // not connected again this long: the call failed (with ICE's own
// detection of a dead path, 5-6 s, a peer that vanished ends the call within 15 s)

// One id per tab that survives reloads (sessionStorage), so a reloaded tab can resume.
function tabDevice() {
  let id = sessionStorage.getItem("uc-call-device");
  if (!id) {
    id = crypto.getRandomValues(new Uint32Array(4)).reduce((s, n) => s + n.toString(16), "t");
    sessionStorage.setItem("uc-call-device", id);
  }
  return id;
}

// --- tones: generated with the Web Audio API, no sound files -------------------------
class Tone {
  constructor(frequencies, onMs, offMs, repeatOn = 0) {
    Object.assign(this, { frequencies, onMs, offMs, repeatOn });
    this.timer = null;
    this.ctx = null;
  }

  start() {
    if (this.timer || root.dataset.sounds === "0") return;
    try {
      this.ctx = new AudioContext();
    } catch {
      return;
    }
    const beep = () => {
      const ctx = this.ctx;
      const gain = ctx.createGain();
      gain.gain.value = 0;
      gain.connect(ctx.destination);
      const t = ctx.currentTime;
      const bursts = this.repeatOn ? [[0, 0.4], [0.6, 1.0]] : [[0, this.onMs / 1000]];
      for (const [from, to] of bursts) {
        gain.gain.setValueAtTime(0.12, t + from);
        gain.gain.setValueAtTime(0, t + to);
      }
      for (const f of this.frequencies) {
        const osc = ctx.createOscillator();
        osc.frequency.value = f;
        osc.connect(gain);
        osc.start(t);
        osc.stop(t + bursts.at(-1)[1]);
      }
    };
    beep();
    this.timer = setInterval(beep, this.onMs + this.offMs);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.ctx?.close();
    this.ctx = null;
  }
}
const ringtone = new Tone([400, 450], 1000, 2000, 1); // the British double ring
const ringback = new Tone([425], 1000, 4000);

function mediaError(error) {
  return error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")
    ? STR.media_missing
    : STR.media_denied;
}

function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

// --- the call window -------------------------------------------------------------------
class CallWindow {
  constructor(manager, peer, media) {
    this.manager = manager;
    this.el = document.getElementById("call-window-template").content.firstElementChild.cloneNode(true);
    this.q = (sel) => this.el.querySelector(sel);
    this.el.setAttribute("aria-label", `${STR.call_with} ${peer.name}`);
    this.q("[data-peer]").textContent = peer.name;
    const avatar = this.q("[data-avatar]");
    if (peer.photo) {
      const img = document.createElement("img");
      img.src = peer.photo;
      img.alt = "";
      avatar.append(img);
    } else {
      avatar.textContent = peer.initials;
    }
    this.remote = this.q("[data-remote]");
    this.local = this.q("[data-local]");
    this.remote.hidden = true;
    this.local.hidden = media !== "video";
    if (media !== "video") this.q("[data-share]").disabled = true;
    if (!("setSinkId" in HTMLMediaElement.prototype)) this.q("[data-speaker]").hidden = true;
    this.q("[data-hangup]").addEventListener("click", () => manager.hangup());
    this.q("[data-close]").addEventListener("click", () => manager.closeWindow());
    this.q("[data-mute]").addEventListener("click", () => manager.toggleMute());
    this.q("[data-camera]").addEventListener("click", () => manager.toggleCamera());
    this.q("[data-share]").addEventListener("click", () => manager.toggleShare());
    this.q("[data-devices-toggle]").addEventListener("click", () => this.toggleDevices());
    for (const select of this.el.querySelectorAll("[data-device-kind]")) {
      select.addEventListener("change", () => manager.useDevice(select.dataset.deviceKind, select.value));
    }
    this.timerHandle = null;
    document.getElementById("call-windows").append(this.el);
  }

  status(state, text) {
    this.el.dataset.state = state;
    this.q("[data-status]").textContent = text;
  }

  alert(text) {
    const box = this.q("[data-alert]");
    box.textContent = text;
    box.hidden = !text;
  }

  startTimer(since) {
    clearInterval(this.timerHandle);
    const tick = () => {
      this.q("[data-timer]").textContent = formatDuration(Date.now() - since);
    };
    tick();
    this.timerHandle = setInterval(tick, 1000);
  }

  showRemote(stream) {
    if (this.remote.srcObject !== stream) this.remote.srcObject = stream;
    const hasVideo = stream.getVideoTracks().length > 0;
    this.remote.hidden = !hasVideo;
    this.q("[data-placeholder]").hidden = hasVideo;
  }

  showLocal(stream) {
    this.local.srcObject = stream;
    this.local.hidden = stream.getVideoTracks().length === 0;
  }

  pressed(selector, on, labelOn, labelOff) {
    const button = this.q(selector);
    button.setAttribute("aria-pressed", String(on));
    button.lastChild.textContent = ` ${on ? labelOn : labelOff}`;
  }

  async toggleDevices() {
    const box = this.q("[data-devices]");
    box.hidden = !box.hidden;
    this.q("[data-devices-toggle]").setAttribute("aria-expanded", String(!box.hidden));
    if (box.hidden) return;
    const devices = await navigator.mediaDevices.enumerateDevices();
    for (const select of this.el.querySelectorAll("[data-device-kind]")) {
      const current = this.manager.currentDevice(select.dataset.deviceKind);
      select.replaceChildren(
        ...devices
          .filter((d) => d.kind === select.dataset.deviceKind)
          .map((d, i) => new Option(d.label || `${STR.default_device} ${i + 1}`, d.deviceId, false, d.deviceId === current)),
      );
    }
  }

  ended(label) {
    clearInterval(this.timerHandle);
    this.status("ended", `${STR.ended} ${label}`);
    this.q("[data-hangup]").hidden = true;
    this.q("[data-close]").hidden = false;
    for (const b of this.el.querySelectorAll("[data-controls] button:not([data-close])")) b.disabled = true;
    this.remote.hidden = true;
    this.q("[data-placeholder]").hidden = false;
  }

  remove() {
    clearInterval(this.timerHandle);
    this.el.remove();
  }
}

// --- the calls of this tab -----------------------------------------------------------
class Calls {
  constructor() {
    this.device = tabDevice();
    this.call = null; // the call this tab takes part in (server's data)
    this.window = null;
    this.pc = null;
    this.stream = null; // our microphone (+ camera)
    this.cameraTrack = null;
    this.screenTrack = null;
    this.pendingCandidates = [];
    this.toasts = new Map(); // call id -> toast element
    this.requests = new Map(); // message id -> what to do on an error
    this.ice = null;
    this.failTimer = null;
    this.restartTimer = null;
    this.timing = {}; // for bench/call_setup.py: accept -> first remote frame

    live.on("call.ringing", (e) => this.onRinging(e.call));
    live.on("call.answered", (e) => this.onAnswered(e.call));
    live.on("call.ended", (e) => this.onEnded(e.call));
    live.on("call.resumed", (e) => this.onResumed(e.call));
    live.on("call.signalled", (e) => this.onSignal(e));
    live.on("missed_calls.changed", (e) => this.showMissed(e.count));
    live.on("error", (e) => this.onError(e));
    live.onResync(() => this.resync());
    this.bindStarters();
  }

  // The snapshot after every (re)connect: active calls and the missed count.
  async resync() {
    const state = await getJSON(root.dataset.stateUrl);
    this.showMissed(state.missed);
    const active = new Map(state.active.map((c) => [c.id, c]));
    for (const [id, toast] of this.toasts) {
      if (!active.has(id) || active.get(id).state !== "ringing") this.dropToast(id);
    }
    if (this.call && !active.has(this.call.id)) {
      try {
        this.onEnded(await getJSON(`${root.dataset.stateUrl.replace(/state\/$/, "")}${this.call.id}/`));
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
      getJSON(root.dataset.seenUrl, { method: "POST" }).catch(() => {});
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

  async ice_config() {
    if (!this.ice || (this.ice.expires && this.ice.expires * 1000 < Date.now() + 60000)) {
      this.ice = await getJSON(root.dataset.iceUrl);
    }
    return { iceServers: this.ice.iceServers, iceTransportPolicy: this.ice.iceTransportPolicy };
  }

  // --- starting a call ---------------------------------------------------------------
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
    this.closeWindow();
    this.window = new CallWindow(this, { name: person.name || "…", initials: person.initials || "", photo: person.photo }, media);
    this.window.status("calling", STR.calling);
    const win = this.window;
    if (!(await this.getMedia(media === "video"))) return;
    if (this.window !== win) return;
    this.ice_config().catch(() => {}); // warm up while it rings
    const sent = this.send(
      { type: "call.start", callee: person.id, media, device: this.device },
      (error) => {
        this.stopMedia();
        win.ended(error.detail);
      },
    );
    if (!sent) {
      this.stopMedia();
      win.ended(STR.reconnecting);
      return;
    }
    ringback.start();
  }

  flash(text) {
    if (this.window) this.window.alert(text);
    else window.alert(text);
  }

  async getMedia(video) {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
    } catch (error) {
      this.window?.alert(mediaError(error));
      this.window?.ended("");
      return false;
    }
    this.cameraTrack = this.stream.getVideoTracks()[0] || null;
    this.window?.showLocal(this.stream);
    return true;
  }

  stopMedia() {
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.screenTrack?.stop();
    this.stream = null;
    this.cameraTrack = null;
    this.screenTrack = null;
  }

  // --- events --------------------------------------------------------------------------
  onRinging(call) {
    if (call.direction === "outgoing") {
      if (call.caller_device !== this.device) return; // started in another tab
      if (this.window && !this.call) {
        this.call = call;
        this.window.q("[data-peer]").textContent = call.peer.name;
        this.window.el.setAttribute("aria-label", `${STR.call_with} ${call.peer.name}`);
        this.window.status("ringing", STR.ringing);
      }
      return;
    }
    if (this.toasts.has(call.id)) return;
    const toast = document.getElementById("call-toast-template").content.firstElementChild.cloneNode(true);
    const title = call.media === "video" ? STR.incoming_video : STR.incoming_audio;
    toast.querySelector("[data-title]").textContent = title;
    toast.querySelector("[data-text]").textContent = `${title} ${STR.from} ${call.peer.name}`;
    toast.setAttribute("aria-label", `${title} ${STR.from} ${call.peer.name}`);
    if (call.media !== "video") toast.querySelector("[data-accept=video]").hidden = true;
    for (const button of toast.querySelectorAll("[data-accept]")) {
      button.addEventListener("click", () => this.accept(call, button.dataset.accept));
    }
    toast.querySelector("[data-decline]").addEventListener("click", () => {
      this.send({ type: "call.decline", call: call.id });
    });
    this.toasts.set(call.id, toast);
    root.append(toast);
    ringtone.start();
  }

  dropToast(id, text) {
    const toast = this.toasts.get(id);
    if (!toast) return;
    this.toasts.delete(id);
    if (!this.toasts.size) ringtone.stop();
    if (!text) {
      toast.remove();
      return;
    }
    toast.querySelector("[data-text]").textContent = text;
    toast.querySelector("[data-buttons]").remove();
    // no longer a question to answer: a notice
    toast.setAttribute("role", "status");
    toast.setAttribute("aria-live", "polite");
    toast.removeAttribute("aria-label");
    setTimeout(() => toast.remove(), 4000);
  }

  async accept(call, how) {
    if (this.call) {
      this.flash(STR.already);
      return;
    }
    this.timing = { acceptedAt: performance.now() };
    ringtone.stop();
    this.closeWindow();
    this.window = new CallWindow(this, call.peer, call.media);
    this.window.status("connecting", STR.connecting);
    const win = this.window;
    if (!(await this.getMedia(how === "video" && call.media === "video"))) return;
    this.call = call;
    await this.newPeerConnection(); // ready before the caller's offer can arrive
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
      this.call = call; // the peer connection waits for the caller's offer
      return;
    }
    if (call.caller_device !== this.device) return;
    ringback.stop();
    this.call = call;
    this.window?.status("connecting", STR.connecting);
    await this.newPeerConnection();
    await this.offer(false);
  }

  onEnded(call) {
    // A call that rang here and stopped says why (cancelled, no answer, declined) for a moment.
    this.dropToast(call.id, `${STR.ended} ${call.end_reason_label}`);
    if (!this.call || this.call.id !== call.id) {
      // our own start that the server ended at once (busy, offline)
      if (!(this.window && !this.call && call.direction === "outgoing" && call.caller_device === this.device)) return;
    }
    ringback.stop();
    this.teardown();
    this.window?.ended(call.end_reason_label);
  }

  teardown() {
    clearTimeout(this.failTimer);
    clearTimeout(this.restartTimer);
    this.pc?.close();
    this.pc = null;
    this.call = null;
    this.connectedSince = null;
    this.stopMedia();
  }

  closeWindow() {
    if (this.call) return;
    this.window?.remove();
    this.window = null;
  }

  // A reconnected (or reloaded) tab takes its answered call back.
  async resume(call) {
    if (this.call && this.call.id === call.id && this.pc) {
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
    this.window?.status("reconnecting", STR.reconnecting);
    await this.newPeerConnection();
    if (call.direction === "outgoing") await this.offer(false);
  }

  // --- WebRTC --------------------------------------------------------------------------
  newPeerConnection() {
    this.pcReady = this.buildPeerConnection();
    return this.pcReady;
  }

  async buildPeerConnection() {
    this.pc?.close();
    this.pc = null;
    this.pendingCandidates = [];
    const pc = new RTCPeerConnection(await this.ice_config());
    this.pc = pc;
    for (const track of this.stream?.getTracks() || []) pc.addTrack(track, this.stream);
    if (this.call.media === "video" && !this.cameraTrack) {
      pc.addTransceiver("video", { direction: "recvonly" }); // see them without a camera
    }
    const remote = new MediaStream();
    pc.ontrack = (event) => {
      remote.addTrack(event.track);
      this.window?.showRemote(remote);
      if (event.track.kind === "video") this.watchFirstFrame();
    };
    pc.onicecandidate = (event) => {
      if (this.pc !== pc) return;
      this.send({
        type: "call.signal",
        call: this.call.id,
        kind: "candidate",
        candidate: event.candidate ? event.candidate.toJSON() : null,
      });
    };
    pc.onconnectionstatechange = () => this.onConnectionState(pc);
  }

  watchFirstFrame() {
    const video = this.window?.remote;
    if (!video || !("requestVideoFrameCallback" in video)) return;
    video.requestVideoFrameCallback(() => {
      this.timing.firstFrameAt = performance.now();
    });
  }

  async offer(restart) {
    const pc = this.pc;
    const offer = await pc.createOffer({ iceRestart: restart });
    await pc.setLocalDescription(offer);
    this.send({ type: "call.signal", call: this.call.id, kind: "offer", sdp: pc.localDescription.sdp, restart });
  }

  onSignal(event) {
    // One at a time, in order: a candidate must not overtake its description.
    this.signals = (this.signals || Promise.resolve()).then(() => this.applySignal(event));
  }

  async applySignal(event) {
    await this.pcReady?.catch(() => {});
    if (!this.call || event.call !== this.call.id || !this.pc) return;
    const pc = this.pc;
    try {
      if (event.kind === "offer") {
        await pc.setRemoteDescription({ type: "offer", sdp: event.sdp });
        await this.flushCandidates();
        await pc.setLocalDescription(await pc.createAnswer());
        this.send({ type: "call.signal", call: this.call.id, kind: "answer", sdp: pc.localDescription.sdp });
      } else if (event.kind === "answer") {
        await pc.setRemoteDescription({ type: "answer", sdp: event.sdp });
        await this.flushCandidates();
      } else if (pc.remoteDescription) {
        await pc.addIceCandidate(event.candidate || undefined);
      } else {
        this.pendingCandidates.push(event.candidate);
      }
    } catch (error) {
      console.error("calls: signal", event.kind, error);
    }
  }

  async flushCandidates() {
    const waiting = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const candidate of waiting) await this.pc.addIceCandidate(candidate || undefined).catch(() => {});
  }

  onConnectionState(pc) {
    if (pc !== this.pc || !this.call) return;
    const state = pc.connectionState;
    if (state === "connected") {
      clearTimeout(this.failTimer);
      clearTimeout(this.restartTimer);
      this.failTimer = null;
      this.window?.status("connected", STR.connected);
      if (!this.connectedSince) {
        this.connectedSince = Date.parse(this.call.answered_at) || Date.now();
      }
      this.window?.startTimer(this.connectedSince);
    } else if (state === "disconnected" || state === "failed") {
      this.window?.status("reconnecting", STR.reconnecting);
      // The caller restarts ICE (one side only, so the offers do not cross).
      if (this.call.direction === "outgoing") {
        clearTimeout(this.restartTimer);
        this.restartTimer = setTimeout(() => this.pc === pc && this.offer(true).catch(() => {}),
          state === "failed" ? 0 : RESTART_AFTER_MS);
      }
      if (!this.failTimer) {
        this.failTimer = setTimeout(() => {
          if (this.pc === pc && pc.connectionState !== "connected") {
            this.send({ type: "call.hangup", call: this.call.id, reason: "failed" });
          }
        }, GIVE_UP_AFTER_MS);
      }
    }
  }

  // --- in-call controls ----------------------------------------------------------------
  hangup() {
    if (!this.call) {
      // still waiting for the server to confirm the start
      ringback.stop();
      this.stopMedia();
      this.closeWindow();
      return;
    }
    const call = this.call;
    const type = call.state === "ringing" && call.direction === "outgoing" ? "call.cancel" : "call.hangup";
    this.send({ type, call: call.id });
  }

  toggleMute() {
    const track = this.stream?.getAudioTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    this.window.pressed("[data-mute]", !track.enabled, STR.unmute, STR.mute);
  }

  toggleCamera() {
    const track = this.cameraTrack;
    if (!track) return;
    track.enabled = !track.enabled;
    this.window.pressed("[data-camera]", !track.enabled, STR.camera_on, STR.camera_off);
  }

  videoSender() {
    return this.pc?.getSenders().find((s) => s.track && s.track.kind === "video");
  }

  async toggleShare() {
    const sender = this.videoSender();
    if (!sender) return;
    if (this.screenTrack) {
      this.screenTrack.stop();
      this.screenTrack = null;
      await sender.replaceTrack(this.cameraTrack);
      this.window.pressed("[data-share]", false, STR.share_stop, STR.share);
      return;
    }
    let screen;
    try {
      screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch {
      return; // the user chose not to share
    }
    this.screenTrack = screen.getVideoTracks()[0];
    this.screenTrack.addEventListener("ended", () => {
      if (this.screenTrack) this.toggleShare();
    });
    await sender.replaceTrack(this.screenTrack);
    this.window.pressed("[data-share]", true, STR.share_stop, STR.share);
  }

  currentDevice(kind) {
    if (kind === "audiooutput") return this.window?.remote.sinkId || "";
    const track = kind === "audioinput" ? this.stream?.getAudioTracks()[0] : this.cameraTrack;
    return track?.getSettings().deviceId || "";
  }

  async useDevice(kind, deviceId) {
    if (kind === "audiooutput") {
      await this.window.remote.setSinkId(deviceId).catch(() => {});
      return;
    }
    const audio = kind === "audioinput";
    let fresh;
    try {
      fresh = await navigator.mediaDevices.getUserMedia(audio ? { audio: { deviceId: { exact: deviceId } } } : { video: { deviceId: { exact: deviceId } } });
    } catch (error) {
      this.window.alert(mediaError(error));
      return;
    }
    const track = fresh.getTracks()[0];
    const old = audio ? this.stream.getAudioTracks()[0] : this.cameraTrack;
    const sender = this.pc?.getSenders().find((s) => s.track === old);
    if (sender && !(this.screenTrack && !audio)) await sender.replaceTrack(track);
    track.enabled = old ? old.enabled : true;
    if (old) {
      this.stream.removeTrack(old);
      old.stop();
    }
    this.stream.addTrack(track);
    if (!audio) this.cameraTrack = track;
    this.window.showLocal(this.stream);
  }
}

/** Start the calls of this tab (once, from app.js, on signed-in pages). */
export function startCalls() {
  root = document.getElementById("call-toasts");
  if (!root) return null;
  STR = Object.fromEntries(
    [...document.querySelectorAll("#call-strings li")].map((li) => [li.dataset.key, li.textContent]),
  );
  window.ucCalls = new Calls(); // for the browser console and tests
  return window.ucCalls;
}
