// The avatar area: a simple face driven by `blendshapes` events (names from Audio2Face, e.g. JawOpen,
// EyeBlinkLeft). With no frames it eases back to neutral.

export class Face {
  constructor(canvas) {
    this.ctx = canvas.getContext('2d');
    this.canvas = canvas;
    this.target = { jaw: 0, blinkL: 0, blinkR: 0, smile: 0 };
    this.current = { ...this.target };
    this.frames = [];
    this.segmentStart = 0;
    this.lastFrameAt = 0;
    requestAnimationFrame(() => this.draw());
  }

  /** A `blendshapes` event: frames `{t, w}` timed from the segment's audio_start. */
  onBlendshapes(event, audioStartAt) {
    const index = (name) => event.names.indexOf(name);
    const pick = (w, name) => (index(name) >= 0 ? w[index(name)] : 0);
    for (const frame of event.frames) {
      this.frames.push({
        at: audioStartAt + frame.t * 1000,
        jaw: pick(frame.w, 'JawOpen'),
        blinkL: pick(frame.w, 'EyeBlinkLeft'),
        blinkR: pick(frame.w, 'EyeBlinkRight'),
        smile: (pick(frame.w, 'MouthSmileLeft') + pick(frame.w, 'MouthSmileRight')) / 2,
      });
    }
  }

  clear() {
    this.frames = [];
  }

  draw() {
    const now = performance.now();
    while (this.frames.length > 0 && this.frames[0].at <= now) {
      const frame = this.frames.shift();
      this.target = frame;
      this.lastFrameAt = now;
    }
    if (now - this.lastFrameAt > 200) this.target = { jaw: 0, blinkL: 0, blinkR: 0, smile: 0 };
    for (const key of Object.keys(this.current))
      this.current[key] += (this.target[key] - this.current[key]) * 0.35;
    const { ctx, canvas } = this;
    const w = canvas.width;
    const h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#ffe0bd';
    ctx.beginPath();
    ctx.arc(w / 2, h / 2, w * 0.42, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#333';
    for (const [x, blink] of [
      [w * 0.36, this.current.blinkL],
      [w * 0.64, this.current.blinkR],
    ]) {
      ctx.beginPath();
      ctx.ellipse(x, h * 0.4, w * 0.04, w * 0.04 * Math.max(0.1, 1 - blink), 0, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.fillStyle = '#8b2e2e';
    ctx.beginPath();
    ctx.ellipse(
      w / 2,
      h * 0.66,
      w * (0.14 + 0.04 * this.current.smile),
      w * (0.015 + 0.12 * this.current.jaw),
      0,
      0,
      Math.PI * 2,
    );
    ctx.fill();
    requestAnimationFrame(() => this.draw());
  }
}
