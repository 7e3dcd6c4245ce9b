/**
 * A protocol client of the runtime's voice WebSocket (docs/protocol.md) that behaves like a person at
 * a microphone: it sends audio at real-time pace and keeps its own clock of what it sent when, so it
 * can measure TTFA and barge-in latency from its own ground truth. Used by the e2e tests and the bench.
 * Talks only to the URL it is given (tests and the bench pass 127.0.0.1).
 */
import { WebSocket } from 'ws';

export interface ReceivedEvent {
  type: string;
  at: number;
  [key: string]: unknown;
}

export interface ReceivedAudio {
  at: number;
  bytes: number;
  /** Events received before this frame (index into `events`). */
  afterEvent: number;
}

export interface CreatedSession {
  session_id: string;
  token: string;
  stream_url: string;
}

export async function createSession(
  baseUrl: string,
  headers: Record<string, string> = {},
): Promise<CreatedSession> {
  const res = await fetch(`${baseUrl}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: '{}',
  });
  const body = (await res.json()) as CreatedSession & { error?: { code: string; message: string } };
  if (res.status !== 201) throw new Error(`POST /sessions: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export class VoiceClient {
  readonly events: ReceivedEvent[] = [];
  readonly audio: ReceivedAudio[] = [];
  /** Send time of every audio chunk by its end position in the input timeline (ms). */
  private readonly sent: { endMs: number; at: number }[] = [];
  private sentMs = 0;
  private closedWith: { code: number; reason: string } | undefined;
  private waiters = new Set<() => void>();

  private constructor(
    readonly ws: WebSocket,
    readonly sampleRate: number,
  ) {
    ws.on('message', (data, isBinary) => {
      const at = performance.now();
      if (isBinary) {
        this.audio.push({ at, bytes: (data as Buffer).byteLength, afterEvent: this.events.length });
      } else {
        this.events.push({ ...(JSON.parse(String(data)) as { type: string }), at });
      }
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async connect(
    session: CreatedSession,
    opts: { sampleRate?: number; start?: boolean } = {},
  ): Promise<VoiceClient> {
    const ws = new WebSocket(session.stream_url, ['goassist.v1', `goassist.token.${session.token}`]);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
      );
      ws.once('error', reject);
    });
    const client = new VoiceClient(ws, opts.sampleRate ?? 16000);
    if (opts.start !== false) {
      client.sendJson({ type: 'start', sample_rate: client.sampleRate });
      await client.waitFor(() => client.find('ready') !== undefined, 'ready');
    }
    return client;
  }

  get closed(): { code: number; reason: string } | undefined {
    return this.closedWith;
  }

  sendJson(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  sendRaw(data: Buffer | string, binary = typeof data !== 'string'): void {
    this.ws.send(data, { binary });
  }

  /**
   * Streams PCM16 at real-time pace in `chunkMs` chunks (drift-free schedule). Returns the send
   * time of every chunk. `stop()` returning true ends the stream early.
   */
  async stream(pcm: Int16Array, opts: { chunkMs?: number; stop?: () => boolean } = {}): Promise<void> {
    const chunkMs = opts.chunkMs ?? 20;
    const chunk = Math.round((this.sampleRate * chunkMs) / 1000);
    const start = performance.now();
    for (let i = 0, n = 0; i < pcm.length; i += chunk, n++) {
      const due = start + n * chunkMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (opts.stop?.() || this.ws.readyState !== WebSocket.OPEN) return;
      this.sendPcm(pcm.subarray(i, Math.min(pcm.length, i + chunk)));
    }
  }

  /** Sends one chunk now and records when (the client's audio-timeline clock). */
  sendPcm(part: Int16Array): void {
    this.ws.send(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
    this.sentMs += (part.length * 1000) / this.sampleRate;
    this.sent.push({ endMs: this.sentMs, at: performance.now() });
    // Bounded: only the recent past is ever looked up.
    if (this.sent.length > 20_000) this.sent.splice(0, 10_000);
  }

  /** Input timeline position (ms) of what was sent so far. */
  get position(): number {
    return this.sentMs;
  }

  /** When the chunk holding input position `ms` was sent (undefined if not sent yet). */
  sentAt(ms: number): number | undefined {
    let lo = 0;
    let hi = this.sent.length - 1;
    if (hi < 0 || (this.sent[hi] as { endMs: number }).endMs < ms) return undefined;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sent[mid] as { endMs: number }).endMs >= ms) hi = mid;
      else lo = mid + 1;
    }
    return (this.sent[lo] as { at: number }).at;
  }

  find(type: string, predicate: (e: ReceivedEvent) => boolean = () => true): ReceivedEvent | undefined {
    return this.events.find((e) => e.type === type && predicate(e));
  }

  all(type: string): ReceivedEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Arrival of the first binary frame after the `audio_start` event of `turnId`. */
  firstAudioOf(turnId: number): ReceivedAudio | undefined {
    const start = this.events.findIndex(
      (e) => e.type === 'audio_start' && e.turn_id === turnId && e.resumed === false,
    );
    if (start < 0) return undefined;
    return this.audio.find((a) => a.afterEvent > start);
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!predicate()) {
      if (this.closedWith)
        throw new Error(`socket closed (${this.closedWith.code}) while waiting for ${what}`);
      const left = deadline - performance.now();
      if (left <= 0) {
        const seen = this.events.map((e) => e.type).join(',');
        throw new Error(`timed out waiting for ${what}; events: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 250));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.ws.close(1000, 'bye');
    await closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
  }
}

/** Input position (ms) just after the last sample louder than `threshold`: the speech's true end. */
export function speechEndMs(pcm: Int16Array, sampleRate = 16000, threshold = 600): number {
  for (let i = pcm.length - 1; i >= 0; i--)
    if (Math.abs(pcm[i] as number) > threshold) return ((i + 1) * 1000) / sampleRate;
  return 0;
}

export function concatPcm(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
