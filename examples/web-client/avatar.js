// A simple face on a <canvas>, driven by the runtime's `blendshapes` events (docs/protocol.md "Avatar").
//
// Frames carry times relative to the turn's latest `audio_start`; the face shows the frame whose time
// matches the agent audio being heard now, so lips follow the voice even when frames arrive early or
// in bursts. With no current frame (the avatar is down or slow, a barge-in cleared the audio, the turn
// ended) every weight eases back to neutral.
//
//   const face = new AvatarFace(canvas, { getPlayback: () => player.position() });
//   socket.onmessage = (m) => face.handleEvent(JSON.parse(m.data));
//   face.start();
//
// `getPlayback()` returns `{ turnId, seconds }` (agent audio heard since the latest `audio_start`) or
// null when nothing plays. Without it the face estimates the position from the wall clock.

const STALE_S = 0.25; // a frame older than this (vs. the audio heard) no longer applies
const ATTACK_MS = 45; // how fast the face follows a frame
const RELEASE_MS = 160; // how fast it eases back to neutral

export class AvatarFace {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ getPlayback?: () => ({ turnId: number, seconds: number } | null), leadSeconds?: number }} [opts]
   */
  constructor(canvas, opts = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.getPlayback = opts.getPlayback;
    this.leadSeconds = opts.leadSeconds ?? 0.1;
    /** Current (smoothed) weights by blendshape name. */
    this.weights = new Map();
    /** Frames of the segment being played: [{ t, w: Map }] sorted by t. */
    this.frames = [];
    this.turnId = undefined;
    this.segment = -1;
    this.audioStartAt = undefined;
    this.status = 'up';
    this.lastTick = undefined;
    this.running = false;
  }

  /** Feed every JSON event of the session socket; unrelated events are ignored. */
  handleEvent(event) {
    switch (event?.type) {
      case 'audio_start':
        // A new turn starts segment 0; a resumed reply (same turn) starts the next segment.
        this.segment = event.turn_id === this.turnId ? this.segment + 1 : 0;
        this.turnId = event.turn_id;
        this.frames = [];
        this.audioStartAt = performance.now();
        break;
      case 'blendshapes':
        if (event.turn_id !== this.turnId || event.segment !== this.segment) return;
        for (const frame of event.frames ?? []) {
          const w = new Map();
          event.names.forEach((name, i) => w.set(name, frame.w[i] ?? 0));
          this.frames.push({ t: frame.t, w });
        }
        this.frames.sort((a, b) => a.t - b.t);
        break;
      case 'clear':
      case 'audio_end':
        this.frames = [];
        this.audioStartAt = undefined;
        break;
      case 'avatar_status':
        this.status = event.state;
        if (event.state !== 'up') this.frames = [];
        break;
      default:
    }
  }

  start() {
    if (this.running) return;
    this.running = true;
    const loop = (now) => {
      if (!this.running) return;
      this.tick(now);
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  stop() {
    this.running = false;
  }

  /** Position in the current segment's audio, in seconds, or undefined when nothing plays. */
  playbackSeconds() {
    if (this.getPlayback) {
      const p = this.getPlayback();
      return p && p.turnId === this.turnId ? p.seconds : undefined;
    }
    if (this.audioStartAt === undefined) return undefined;
    return (performance.now() - this.audioStartAt) / 1000 - this.leadSeconds;
  }

  /** The frame for `seconds`, or undefined (-> neutral). Drops frames already passed. */
  frameAt(seconds) {
    if (seconds === undefined || this.frames.length === 0) return undefined;
    let current;
    while (this.frames.length > 0 && this.frames[0].t <= seconds) current = this.frames.shift();
    if (current) this.frames.unshift(current); // keep it until a later one is due
    if (!current || seconds - current.t > STALE_S) return undefined;
    return current;
  }

  tick(now = performance.now()) {
    // Clamped: a clock that jumps (tab in the background, a new time base) must not overshoot.
    const dt = this.lastTick === undefined ? 16 : Math.min(100, Math.max(0, now - this.lastTick));
    this.lastTick = now;
    const frame = this.frameAt(this.playbackSeconds());
    const names = new Set([...this.weights.keys(), ...(frame ? frame.w.keys() : [])]);
    for (const name of names) {
      const target = frame?.w.get(name) ?? 0;
      const current = this.weights.get(name) ?? 0;
      const tau = frame ? ATTACK_MS : RELEASE_MS;
      const next = current + (target - current) * (1 - Math.exp(-dt / tau));
      this.weights.set(name, Math.min(1, Math.max(0, next)));
    }
    this.draw();
  }

  /** Current weight of a blendshape (0 when unknown). */
  w(name) {
    return this.weights.get(name) ?? 0;
  }

  draw() {
    const { ctx, canvas } = this;
    const W = canvas.width;
    const H = canvas.height;
    const s = Math.min(W, H) / 200; // drawing units: a 200x200 box
    ctx.save();
    ctx.clearRect(0, 0, W, H);
    ctx.translate(W / 2, H / 2);
    ctx.scale(s, s);
    const jaw = this.w('JawOpen');

    // Head, a little longer when the jaw opens.
    ctx.fillStyle = '#f2c9a0';
    ctx.strokeStyle = '#6b4a2b';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.ellipse(0, 4 + jaw * 4, 70, 88 + jaw * 6, 0, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();

    this.drawEye(-28, 'Left');
    this.drawEye(28, 'Right');
    this.drawBrow(-28, 'Left', -1);
    this.drawBrow(28, 'Right', 1);
    this.drawMouth(jaw);

    if (this.status !== 'up') {
      ctx.fillStyle = '#a33';
      ctx.font = '10px sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText('avatar offline', 0, 96);
    }
    ctx.restore();
  }

  drawEye(x, side) {
    const { ctx } = this;
    const blink = Math.max(this.w(`EyeBlink${side}`), this.w(`EyeSquint${side}`) * 0.5);
    const wide = this.w(`EyeWide${side}`);
    const open = Math.max(0.06, 1 - blink) * (1 + wide * 0.4);
    ctx.fillStyle = '#fff';
    ctx.beginPath();
    ctx.ellipse(x, -22, 14, 9 * open, 0, 0, Math.PI * 2);
    ctx.fill();
    ctx.stroke();
    if (open > 0.2) {
      const look = this.w(`EyeLookOut${side}`) - this.w(`EyeLookIn${side}`);
      ctx.fillStyle = '#2d3e50';
      ctx.beginPath();
      ctx.arc(x + look * (side === 'Left' ? -6 : 6), -22, 5 * Math.min(1, open), 0, Math.PI * 2);
      ctx.fill();
    }
  }

  drawBrow(x, side, dir) {
    const { ctx } = this;
    const up = this.w('BrowInnerUp') * 6 + this.w(`BrowOuterUp${side}`) * 6 - this.w(`BrowDown${side}`) * 5;
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.moveTo(x - 14 * dir, -38 - up);
    ctx.lineTo(x + 14 * dir, -40 - up * 0.6);
    ctx.stroke();
    ctx.lineWidth = 2;
  }

  drawMouth(jaw) {
    const { ctx } = this;
    const stretch = (this.w('MouthStretchLeft') + this.w('MouthStretchRight')) / 2;
    const smile = (this.w('MouthSmileLeft') + this.w('MouthSmileRight')) / 2;
    const frown = (this.w('MouthFrownLeft') + this.w('MouthFrownRight')) / 2;
    const round = Math.max(this.w('MouthFunnel'), this.w('MouthPucker'));
    const lower = (this.w('MouthLowerDownLeft') + this.w('MouthLowerDownRight')) / 2;
    const halfWidth = 26 * (1 + stretch * 0.35 + smile * 0.2 - round * 0.45);
    const open = Math.max(0, jaw * 26 + lower * 6 - this.w('MouthClose') * 4);
    const corner = (smile - frown) * 8;
    const y = 42;
    ctx.fillStyle = '#7a2630';
    ctx.beginPath();
    ctx.moveTo(-halfWidth, y - corner);
    ctx.quadraticCurveTo(0, y - 6 - open * 0.25, halfWidth, y - corner);
    ctx.quadraticCurveTo(0, y + 4 + open, -halfWidth, y - corner);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
  }
}
