// Recording a voice or video mail in the browser (MediaRecorder): a timer, a level meter
// from the microphone (Web Audio), a live camera picture, a preview to play back, record
// again, and the recording as a Blob to send. The server checks and measures it anyway.
const TYPES = {
  voice: ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"],
  video: ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm", "video/mp4"],
};

function supported(kind) {
  return TYPES[kind].find((type) => window.MediaRecorder?.isTypeSupported(type)) || "";
}

function clock(seconds) {
  const s = Math.floor(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class Recorder {
  constructor(root, kind, { signal }) {
    this.root = root;
    this.kind = kind;
    this.max = Number(root.dataset.maxSeconds) || 180;
    this.blob = null;
    this.q = (sel) => root.querySelector(sel);
    const on = (sel, fn) => this.q(sel).addEventListener("click", fn, { signal });
    on("[data-record]", () => this.start());
    on("[data-stop]", () => this.stop());
    on("[data-rerecord]", () => this.start());
  }

  status(text) {
    this.q("[data-recorder-status]").textContent = text;
  }

  show(name, visible) {
    this.q(name).hidden = !visible;
  }

  async start() {
    this.discard();
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: this.kind === "video" });
    } catch {
      this.status(this.root.dataset.labelNoDevice);
      return;
    }
    const live = this.q("[data-live]");
    if (live) {
      live.srcObject = this.stream;
      live.hidden = false;
      live.play().catch(() => {});
    }
    this.meter();
    const mimeType = supported(this.kind);
    const options = mimeType ? { mimeType } : {};
    if (this.kind === "video") options.videoBitsPerSecond = 1_000_000;
    this.recorder = new MediaRecorder(this.stream, options);
    const chunks = [];
    this.recorder.addEventListener("dataavailable", (event) => event.data.size && chunks.push(event.data));
    this.recorder.addEventListener("stop", () => {
      this.blob = new Blob(chunks, { type: this.recorder.mimeType || mimeType });
      this.release();
      const preview = this.q("[data-preview]");
      this.url = URL.createObjectURL(this.blob);
      preview.src = this.url;
      preview.hidden = false;
      this.show("[data-rerecord]", true);
      this.show("[data-record]", false);
      this.status(this.root.dataset.labelRecorded);
      this.root.dispatchEvent(new CustomEvent("recorder:recorded", { bubbles: true }));
    });
    this.started = performance.now();
    this.recorder.start(1000);
    this.show("[data-record]", false);
    this.show("[data-rerecord]", false);
    this.show("[data-stop]", true);
    this.q("[data-stop]").focus();
    this.status(this.root.dataset.labelRecording);
    this.timer = setInterval(() => {
      const seconds = (performance.now() - this.started) / 1000;
      this.q("[data-timer]").textContent = clock(seconds);
      if (seconds >= this.max) this.stop();
    }, 200);
  }

  meter() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context || !this.stream.getAudioTracks().length) return;
    this.audio = new Context();
    const analyser = this.audio.createAnalyser();
    analyser.fftSize = 1024;
    this.audio.createMediaStreamSource(this.stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const level = this.q("[data-level]");
    const draw = () => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      level.value = Math.min(1, Math.sqrt(sum / samples.length) * 3);
      this.frame = requestAnimationFrame(draw);
    };
    draw();
  }

  stop() {
    clearInterval(this.timer);
    this.show("[data-stop]", false);
    if (this.recorder?.state === "recording") this.recorder.stop();
    else this.release();
    this.q("[data-rerecord]").focus?.();
  }

  release() {
    cancelAnimationFrame(this.frame);
    this.q("[data-level]").value = 0;
    this.audio?.close().catch(() => {});
    this.audio = null;
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    const live = this.q("[data-live]");
    if (live) {
      live.srcObject = null;
      live.hidden = true;
    }
  }

  discard() {
    this.blob = null;
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    const preview = this.q("[data-preview]");
    preview.removeAttribute("src");
    preview.hidden = true;
    this.q("[data-timer]").textContent = "0:00";
  }

  /** The recording as a file for a form, or null. */
  file() {
    if (!this.blob) return null;
    const type = this.blob.type.split(";")[0];
    const extension = type.endsWith("mp4") ? "mp4" : type.endsWith("ogg") ? "ogg" : "webm";
    return new File([this.blob], `${this.kind}-mail.${extension}`, { type });
  }

  end() {
    clearInterval(this.timer);
    if (this.recorder?.state === "recording") this.recorder.stop();
    this.release();
    if (this.url) URL.revokeObjectURL(this.url);
  }
}
