// The media of the calls manager: getting and stopping the microphone/camera, and the
// in-call controls (mute, camera, screen sharing, devices),
// mixed into Calls (manager.js): `this` is the manager.
import { STR } from "./strings.js";

export function mediaError(error) {
  return error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")
    ? STR.media_missing
    : STR.media_denied;
}

export const mediaControls = {
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
  },

  stopMedia() {
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.screenTrack?.stop();
    this.stream = null;
    this.cameraTrack = null;
    this.screenTrack = null;
  },

  toggleMute() {
    const track = this.stream?.getAudioTracks()[0];
    if (!track) return;
    track.enabled = !track.enabled;
    this.window.pressed("[data-mute]", !track.enabled, STR.unmute, STR.mute);
  },

  toggleCamera() {
    const track = this.cameraTrack;
    if (!track) return;
    track.enabled = !track.enabled;
    this.window.pressed("[data-camera]", !track.enabled, STR.camera_on, STR.camera_off);
  },

  videoSender() {
    return this.pc?.getSenders().find((s) => s.track && s.track.kind === "video");
  },

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
  },

  currentDevice(kind) {
    if (kind === "audiooutput") return this.window?.remote.sinkId || "";
    const track = kind === "audioinput" ? this.stream?.getAudioTracks()[0] : this.cameraTrack;
    return track?.getSettings().deviceId || "";
  },

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
  },
};
