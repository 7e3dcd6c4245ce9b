/**
 * Worker thread owning the process's one Silero ONNX Runtime session: it runs the batches the
 * engine assembles, so inference and tensor marshalling stay off the event loop.
 */
import ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';
import { detectLayout } from './silero-model.js';
import type { BatchRequest, BatchResult, WorkerInit, WorkerReady } from './silero-protocol.js';

const port = parentPort;
if (!port) throw new Error('silero-worker must run as a worker thread');
const init = workerData as WorkerInit;

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(init.modelPath, {
      intraOpNumThreads: init.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    port!.postMessage({
      type: 'error',
      message: `cannot load Silero VAD model ${init.modelPath}: ${String(err)}`,
    });
    return;
  }
  const layout = detectLayout(session);
  if (typeof layout === 'string') {
    port!.postMessage({ type: 'error', message: `${init.modelPath}: ${layout}` });
    return;
  }
  const sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(init.sampleRate)]), []);
  port!.on('message', (req: BatchRequest) => {
    const feeds: Record<string, ort.Tensor> = {
      input: new ort.Tensor('float32', req.input, [req.n, req.input.length / req.n]),
      sr,
    };
    layout.states.forEach((s, i) => {
      feeds[s.input] = new ort.Tensor('float32', req.states[i]!, [2, req.n, layout.stateWidth]);
    });
    session.run(feeds).then(
      (out) => {
        const probs = Float32Array.from(out['output']!.data as Float32Array);
        const states = layout.states.map((s) => Float32Array.from(out[s.output]!.data as Float32Array));
        const result: BatchResult = { type: 'result', id: req.id, probs, states };
        port!.postMessage(result, [probs.buffer, ...states.map((s) => s.buffer)]);
      },
      (err: unknown) => {
        port!.postMessage({ type: 'result', id: req.id, error: String(err) } satisfies BatchResult);
      },
    );
  });
  port!.postMessage({ type: 'ready', layout } satisfies WorkerReady);
}

void main();
