/**
 * The stand-in's "model": blendshape weights of one 1/30 s audio frame from simple signal features.
 * Loud frames open the jaw; a high zero-crossing rate (fricatives: s, f) stretches the mouth, a low one
 * (vowels: o, u) rounds it; the eyes blink every few seconds. Crude, deterministic and audio-driven.
 */

/** The blendshape names Audio2Face's ARKit-style models emit, in a fixed order. */
export const A2F_BLENDSHAPE_NAMES = [
  'EyeBlinkLeft',
  'EyeLookDownLeft',
  'EyeLookInLeft',
  'EyeLookOutLeft',
  'EyeLookUpLeft',
  'EyeSquintLeft',
  'EyeWideLeft',
  'EyeBlinkRight',
  'EyeLookDownRight',
  'EyeLookInRight',
  'EyeLookOutRight',
  'EyeLookUpRight',
  'EyeSquintRight',
  'EyeWideRight',
  'JawForward',
  'JawLeft',
  'JawRight',
  'JawOpen',
  'MouthClose',
  'MouthFunnel',
  'MouthPucker',
  'MouthLeft',
  'MouthRight',
  'MouthSmileLeft',
  'MouthSmileRight',
  'MouthFrownLeft',
  'MouthFrownRight',
  'MouthDimpleLeft',
  'MouthDimpleRight',
  'MouthStretchLeft',
  'MouthStretchRight',
  'MouthRollLower',
  'MouthRollUpper',
  'MouthShrugLower',
  'MouthShrugUpper',
  'MouthPressLeft',
  'MouthPressRight',
  'MouthLowerDownLeft',
  'MouthLowerDownRight',
  'MouthUpperUpLeft',
  'MouthUpperUpRight',
  'BrowDownLeft',
  'BrowDownRight',
  'BrowInnerUp',
  'BrowOuterUpLeft',
  'BrowOuterUpRight',
  'CheekPuff',
  'CheekSquintLeft',
  'CheekSquintRight',
  'NoseSneerLeft',
  'NoseSneerRight',
  'TongueOut',
] as const;

const INDEX = new Map<string, number>(A2F_BLENDSHAPE_NAMES.map((name, i) => [name, i]));
const BLINK_PERIOD_S = 3.7;
const BLINK_LENGTH_S = 0.15;

export function blendshapesOfFrame(frame: Int16Array, timeCode: number): number[] {
  const weights = new Array<number>(A2F_BLENDSHAPE_NAMES.length).fill(0);
  const set = (name: string, value: number): void => {
    weights[INDEX.get(name) ?? -1] = clamp(value);
  };
  let energy = 0;
  let crossings = 0;
  for (let i = 0; i < frame.length; i++) {
    const s = (frame[i] ?? 0) / 32768;
    energy += s * s;
    if (i > 0 && (frame[i - 1] ?? 0) < 0 !== (frame[i] ?? 0) < 0) crossings += 1;
  }
  const rms = frame.length > 0 ? Math.sqrt(energy / frame.length) : 0;
  const zcr = frame.length > 1 ? crossings / (frame.length - 1) : 0;
  const jaw = clamp(rms * 5);
  const voiced = clamp(rms * 20);
  set('JawOpen', jaw);
  set('MouthLowerDownLeft', jaw * 0.6);
  set('MouthLowerDownRight', jaw * 0.6);
  set('MouthStretchLeft', clamp((zcr - 0.15) * 5) * voiced);
  set('MouthStretchRight', clamp((zcr - 0.15) * 5) * voiced);
  set('MouthFunnel', clamp((0.08 - zcr) * 10) * jaw);
  set('MouthPucker', clamp((0.05 - zcr) * 12) * voiced * 0.7);
  set('MouthClose', voiced < 0.05 ? 0.2 : 0);
  set('BrowInnerUp', jaw * 0.3);
  const blink = timeCode % BLINK_PERIOD_S < BLINK_LENGTH_S ? 1 : 0;
  set('EyeBlinkLeft', blink);
  set('EyeBlinkRight', blink);
  return weights;
}

function clamp(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
