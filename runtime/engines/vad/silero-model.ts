import type { InferenceSession } from 'onnxruntime-node';

/**
 * The two Silero VAD graph layouts in circulation, told apart by their input names:
 * - v4: `input` [B, 512], `sr`, `h` and `c` [2, B, 64]; outputs `output`, `hn`, `cn`.
 * - v5: `input` [B, 64 + 512] (the previous frame's last 64 samples first), `sr`, `state`
 *   [2, B, 128]; outputs `output`, `stateN`.
 */
export interface SileroLayout {
  version: 'v4' | 'v5';
  /** Recurrent state tensors: input name, output name. */
  states: Array<{ input: string; output: string }>;
  /** Floats per stream in each state tensor (2 layers x width). */
  stateWidth: number;
  /** Samples of the previous frame prepended to each frame. */
  contextSamples: number;
}

export function detectLayout(session: InferenceSession): SileroLayout | string {
  const inputs = new Set(session.inputNames);
  const outputs = new Set(session.outputNames);
  if (!inputs.has('input') || !inputs.has('sr') || !outputs.has('output')) {
    return `inputs [${session.inputNames.join(', ')}] / outputs [${session.outputNames.join(', ')}] are not a Silero VAD graph`;
  }
  if (inputs.has('h') && inputs.has('c') && outputs.has('hn') && outputs.has('cn')) {
    const width = stateWidth(session, 'h') ?? 64;
    return {
      version: 'v4',
      states: [
        { input: 'h', output: 'hn' },
        { input: 'c', output: 'cn' },
      ],
      stateWidth: width,
      contextSamples: 0,
    };
  }
  if (inputs.has('state') && outputs.has('stateN')) {
    const width = stateWidth(session, 'state') ?? 128;
    return {
      version: 'v5',
      states: [{ input: 'state', output: 'stateN' }],
      stateWidth: width,
      contextSamples: 64,
    };
  }
  return `unknown Silero VAD version: inputs [${session.inputNames.join(', ')}]`;
}

/** Width of a [2, batch, W] state input, from the model's metadata. */
function stateWidth(session: InferenceSession, name: string): number | undefined {
  const meta = session.inputMetadata.find((m) => m.name === name);
  if (!meta || !meta.isTensor) return undefined;
  const w = meta.shape[2];
  return typeof w === 'number' ? w : undefined;
}
