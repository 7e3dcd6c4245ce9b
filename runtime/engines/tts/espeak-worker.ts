/**
 * Worker thread running espeak-ng (WebAssembly build). Synthesis is synchronous inside the module,
 * so it runs here, off the event loop; each chunk is posted as soon as espeak-ng produces it, and a
 * shared flag lets the engine stop a synthesis between chunks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EspeakWorkerInit, EspeakWorkerMessage, SynthRequest } from './espeak-protocol.js';

interface EspeakModule {
  eSpeakNGWorker: new () => EspeakNg;
}

interface EspeakNg {
  set_voice(name: string): number;
  set_rate(wpm: number): number;
  get_samplerate(): number;
  synthesize(text: string, cb: (samples: Int16Array, events: unknown[]) => boolean): void;
}

const port = parentPort;
if (!port) throw new Error('espeak-worker must run as a worker thread');
const init = workerData as EspeakWorkerInit;
const cancel = new Int32Array(init.cancel);

function post(msg: EspeakWorkerMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

async function main(): Promise<void> {
  let tts: EspeakNg;
  try {
    const factory = (await import('@echogarden/espeak-ng-emscripten')).default as () => Promise<EspeakModule>;
    const mod = await factory();
    tts = new mod.eSpeakNGWorker();
  } catch (err) {
    post({ type: 'error', message: `cannot load espeak-ng: ${String(err)}` });
    return;
  }
  if (tts.set_voice(init.voice) !== 0) {
    post({ type: 'error', message: `espeak-ng has no voice "${init.voice}"` });
    return;
  }
  tts.set_rate(init.rate);
  port!.on('message', (req: SynthRequest) => {
    try {
      tts.synthesize(req.text, (samples) => {
        if (Atomics.load(cancel, 0) === req.id) return true;
        if (samples.length > 0) {
          const pcm = Int16Array.from(samples);
          post({ type: 'chunk', id: req.id, pcm }, [pcm.buffer]);
        }
        return false;
      });
      post({ type: 'done', id: req.id });
    } catch (err) {
      post({ type: 'done', id: req.id, error: String(err) });
    }
  });
  post({ type: 'ready', sampleRate: tts.get_samplerate() });
}

void main();
