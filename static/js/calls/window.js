// The call window (includes/calls.html #call-window-template), in the call layer that
// page visits never touch: media keeps playing while the user moves around the app.
import { STR } from "./strings.js";

export function formatDuration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export class CallWindow {
  constructor(manager, peer, media) {
    this.manager = manager;
    this.el = document.getElementById("call-window-template").content.firstElementChild.cloneNode(true);
    this.q = (sel) => this.el.querySelector(sel);
    this.setPeer(peer);
    const avatar = this.q("[data-avatar]");
    if (peer.photo) {
      const img = document.createElement("img");
      img.src = peer.photo;
      img.alt = "";
      avatar.append(img);
    } else {
      avatar.textContent = peer.initials || "";
    }
    this.remote = this.q("[data-remote]");
    this.local = this.q("[data-local]");
    this.remote.hidden = true;
    this.local.hidden = media !== "video";
    if (media !== "video") this.q("[data-share]").disabled = true;
    if (!("setSinkId" in HTMLMediaElement.prototype)) this.q("[data-speaker]").hidden = true;
    this.q("[data-hangup]").addEventListener("click", () => manager.hangup());
    this.q("[data-voicemail]").addEventListener("click", () => this.onVoicemail?.());
    this.q("[data-close]").addEventListener("click", () => manager.closeWindow());
    this.q("[data-mute]").addEventListener("click", () => manager.toggleMute());
    this.q("[data-camera]").addEventListener("click", () => manager.toggleCamera());
    this.q("[data-share]").addEventListener("click", () => manager.toggleShare());
    this.q("[data-devices-toggle]").addEventListener("click", () => this.toggleDevices());
    for (const select of this.el.querySelectorAll("[data-device-kind]")) {
      select.addEventListener("change", () => manager.useDevice(select.dataset.deviceKind, select.value));
    }
    // Escape closes a call that has ended (never one that is still going).
    this.el.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.isEnded) {
        event.preventDefault();
        manager.closeWindow();
      }
    });
    this.timerHandle = null;
    document.getElementById("call-windows").append(this.el);
  }

  get isEnded() {
    return this.el.dataset.state === "ended";
  }

  setPeer(peer) {
    this.q("[data-peer]").textContent = peer.name;
    this.el.setAttribute("aria-label", `${STR.call_with} ${peer.name}`);
  }

  /** The call goes through the media relay (the server), not browser to browser. */
  setRelayed(on) {
    this.q("[data-relayed]").hidden = !on;
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

  /** Keyboard focus into the window: its main control (Hang up, or Close once ended). */
  focus() {
    const target = this.isEnded ? this.q("[data-close]") : this.q("[data-hangup]");
    target.focus();
  }

  contains(element) {
    return this.el.contains(element);
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
    const hadFocus = this.contains(document.activeElement);
    clearInterval(this.timerHandle);
    this.counting = false;
    this.q("[data-voicemail]").hidden = true;
    this.status("ended", `${STR.ended} ${label}`);
    this.q("[data-hangup]").hidden = true;
    this.q("[data-close]").hidden = false;
    for (const b of this.el.querySelectorAll("[data-controls] button:not([data-close])")) b.disabled = true;
    this.remote.hidden = true;
    this.q("[data-placeholder]").hidden = false;
    if (hadFocus) this.q("[data-close]").focus(); // its button went away: keep focus here
  }

  /** The call was not answered: offer Leave a (voice or video) message. */
  offerVoicemail(media, choose) {
    const button = this.q("[data-voicemail]");
    button.lastChild.textContent = ` ${media === "video" ? STR.leave_video : STR.leave_voice}`;
    button.hidden = false;
    button.disabled = false;
    this.onVoicemail = choose;
    if (this.contains(document.activeElement) || document.activeElement === document.body) button.focus();
  }

  /** Leaving a message: the window is live again (Hang up ends and sends it). */
  voicemailStarting() {
    this.onVoicemail = null;
    this.counting = false;
    this.q("[data-voicemail]").hidden = true;
    this.q("[data-close]").hidden = true;
    const hangup = this.q("[data-hangup]");
    hangup.hidden = false;
    hangup.disabled = false;
    this.q("[data-mute]").disabled = false;
    this.status("voicemail", STR.voicemail_connecting);
    hangup.focus();
  }

  /** Recording: the seconds left, counted down. */
  countdown(seconds) {
    clearInterval(this.timerHandle);
    this.counting = true;
    const timer = this.q("[data-timer]");
    timer.setAttribute("aria-label", STR.time_left);
    const until = Date.now() + seconds * 1000;
    const tick = () => {
      timer.textContent = formatDuration(Math.max(0, until - Date.now()) + 999);
    };
    tick();
    this.timerHandle = setInterval(tick, 1000);
  }

  remove() {
    clearInterval(this.timerHandle);
    this.el.remove();
  }
}
