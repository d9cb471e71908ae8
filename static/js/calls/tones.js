// Ringing and ringback tones, generated with the Web Audio API (no sound files).
let enabled = true;

/** The user's "sounds" preference (includes/call_layer.html data-sounds). */
export function setSounds(on) {
  enabled = on;
}

class Tone {
  constructor(frequencies, onMs, offMs, repeatOn = 0) {
    Object.assign(this, { frequencies, onMs, offMs, repeatOn });
    this.timer = null;
    this.ctx = null;
  }

  start() {
    if (this.timer || !enabled) return;
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

export const ringtone = new Tone([400, 450], 1000, 2000, 1); // the British double ring
export const ringback = new Tone([425], 1000, 4000);
