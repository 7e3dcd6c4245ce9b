import { TurnDetector } from './turn-detector.js';

const opts = {
  threshold: 0.5,
  negThreshold: 0.35,
  endOfTurnSilenceMs: 96,
  minSpeechMs: 200,
  bargeInMinSpeechMs: 64,
  frameMs: 32,
};

function run(probs: number[]) {
  const d = new TurnDetector(opts);
  return probs.flatMap((p, i) => d.push(p).map((e) => ({ ...e, at: i })));
}

describe('TurnDetector', () => {
  test('end of turn is silence of endOfTurnSilenceMs after speech of at least minSpeechMs', () => {
    const events = run([0, 0.9, 0.9, 0.9, 0.4, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0]);
    expect(events.map((e) => e.kind)).toEqual(['speech_start', 'speech_confirmed', 'speech_end']);
    expect(events[2]).toMatchObject({
      at: 10,
      startFrame: 1,
      lastSpeechFrame: 7,
      speechMs: 224,
      isTurn: true,
    });
  });

  test('hysteresis: frames between the thresholds keep speech going, below negThreshold count as silence', () => {
    const events = run([0.9, 0.4, 0.4, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2]);
    expect(events.at(-1)).toMatchObject({
      kind: 'speech_end',
      lastSpeechFrame: 5,
      speechMs: 192,
      isTurn: false,
    });
  });

  test('a single loud frame is neither confirmed nor a turn', () => {
    const events = run([0.9, 0.1, 0.1, 0.1]);
    expect(events.map((e) => e.kind)).toEqual(['speech_start', 'speech_end']);
    expect(events[1]).toMatchObject({ isTurn: false, speechMs: 32 });
  });

  test('barge-in confirmation needs bargeInMinSpeechMs of loud frames', () => {
    expect(run([0.9, 0.9]).map((e) => e.kind)).toEqual(['speech_start', 'speech_confirmed']);
    expect(run([0.9, 0.4, 0.9]).find((e) => e.kind === 'speech_confirmed')).toMatchObject({ at: 2 });
  });

  test('rejects a negative threshold above the threshold', () => {
    expect(() => new TurnDetector({ ...opts, negThreshold: 0.6 })).toThrow(RangeError);
  });
});
