// One RTCPeerConnection of a call, with its timers and what it learnt about the network.
// A new PeerLink per call (and per resume), closed with everything it started: nothing of
// one call's connection can outlive it into the next.
//
// Before media ever flowed: "connecting"; "slow" after SLOW_MS; failed when ICE gives up
// or after CONNECT_TIMEOUT_MS. After it flowed: "reconnecting" when ICE drops (the caller
// restarts ICE after RESTART_AFTER_MS), failed when not back within GIVE_UP_AFTER_MS.
const SLOW_MS = 5000;
const CONNECT_TIMEOUT_MS = 15000;
const RESTART_AFTER_MS = 2000; // ICE "disconnected" this long: try an ICE restart
const GIVE_UP_AFTER_MS = 7000; // not connected again this long: the call failed (with ICE's
// own detection of a dead path, 5-6 s, a peer that vanished ends the call within 15 s)

export class PeerLink {
  /**
   * call: the server's call; stream: our media; ice: {iceServers, iceTransportPolicy};
   * connectedBefore: media flowed earlier in this call (a resume);
   * on: {signal(message), track(event), state(state, detail), restart()}.
   */
  constructor({ call, stream, cameraTrack, ice, connectedBefore, on }) {
    this.call = call;
    this.on = on;
    this.everConnected = connectedBefore;
    this.timers = new Set();
    this.pendingCandidates = [];
    this.signals = Promise.resolve();
    this.localTypes = new Set();
    this.remoteTypes = new Set();
    this.hasTurn = (ice.iceServers || []).some((server) =>
      [].concat(server.urls).some((url) => /^turns?:/.test(url)));
    this.relayOnly = ice.iceTransportPolicy === "relay";
    this.closed = false;
    const pc = new RTCPeerConnection(ice);
    this.pc = pc;
    for (const track of stream?.getTracks() || []) pc.addTrack(track, stream);
    if (call.media === "video" && !cameraTrack) {
      pc.addTransceiver("video", { direction: "recvonly" }); // see them without a camera
    }
    pc.ontrack = (event) => on.track(event);
    pc.onicecandidate = (event) => {
      if (this.closed) return;
      if (event.candidate?.type) this.localTypes.add(event.candidate.type);
      on.signal({
        type: "call.signal",
        call: call.id,
        kind: "candidate",
        candidate: event.candidate ? event.candidate.toJSON() : null,
      });
    };
    pc.onconnectionstatechange = () => this.onConnectionState();
    if (!this.everConnected) {
      this.later("slow", SLOW_MS, () => this.on.state("slow"));
      this.later("timeout", CONNECT_TIMEOUT_MS, () => this.fail());
    }
  }

  later(name, ms, fn) {
    this.cancel(name);
    const timer = setTimeout(() => {
      this.timers.delete(entry);
      if (!this.closed) fn();
    }, ms);
    const entry = { name, timer };
    this.timers.add(entry);
  }

  cancel(name) {
    for (const entry of this.timers) {
      if (entry.name === name) {
        clearTimeout(entry.timer);
        this.timers.delete(entry);
      }
    }
  }

  pending(name) {
    return [...this.timers].some((entry) => entry.name === name);
  }

  close() {
    this.closed = true;
    for (const entry of this.timers) clearTimeout(entry.timer);
    this.timers.clear();
    this.pc.close();
  }

  async offer(restart) {
    const offer = await this.pc.createOffer({ iceRestart: restart });
    await this.pc.setLocalDescription(offer);
    this.on.signal({ type: "call.signal", call: this.call.id, kind: "offer", sdp: this.pc.localDescription.sdp, restart });
  }

  /** Signals are applied one at a time, in order: a candidate must not overtake its description. */
  signal(event) {
    this.signals = this.signals.then(() => this.apply(event));
    return this.signals;
  }

  async apply(event) {
    if (this.closed) return;
    const pc = this.pc;
    try {
      if (event.kind === "offer") {
        await pc.setRemoteDescription({ type: "offer", sdp: event.sdp });
        await this.flushCandidates();
        await pc.setLocalDescription(await pc.createAnswer());
        this.on.signal({ type: "call.signal", call: this.call.id, kind: "answer", sdp: pc.localDescription.sdp });
      } else if (event.kind === "answer") {
        await pc.setRemoteDescription({ type: "answer", sdp: event.sdp });
        await this.flushCandidates();
      } else {
        const type = / typ (\w+)/.exec(event.candidate?.candidate || "")?.[1];
        if (type) this.remoteTypes.add(type);
        if (pc.remoteDescription) await pc.addIceCandidate(event.candidate || undefined);
        else this.pendingCandidates.push(event.candidate);
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

  onConnectionState() {
    if (this.closed) return;
    const state = this.pc.connectionState;
    if (state === "connected") {
      this.cancel("slow");
      this.cancel("timeout");
      this.cancel("restart");
      this.cancel("give-up");
      const first = !this.everConnected;
      this.everConnected = true;
      this.on.state("connected", { first });
    } else if (!this.everConnected) {
      // Never connected: ICE giving up means no path worked; nothing to "reconnect".
      if (state === "failed") this.fail();
    } else if (state === "disconnected" || state === "failed") {
      this.on.state("reconnecting");
      // The caller restarts ICE (one side only, so the offers do not cross); through the
      // media relay each side restarts its own connection to the server.
      if (this.call.direction === "outgoing" || this.call.relayed) {
        this.later("restart", state === "failed" ? 0 : RESTART_AFTER_MS, () => this.on.restart());
      }
      if (!this.pending("give-up")) {
        this.later("give-up", GIVE_UP_AFTER_MS, () => {
          if (this.pc.connectionState !== "connected") this.fail();
        });
      }
    }
  }

  fail() {
    if (this.closed || this.failed) return;
    this.failed = true;
    this.on.state("failed", { reason: this.diagnosis() });
  }

  /** Why the media probably did not get through (a key of the call strings). */
  diagnosis() {
    if (this.everConnected) return "fail_lost";
    if (!this.hasTurn) return "fail_no_relay";
    if (!this.localTypes.has("relay")) return "fail_turn_unreachable";
    if (!this.remoteTypes.has("relay")) return "fail_peer_network";
    return "fail_no_path";
  }
}
