import { Pacer } from './pacer.js';

function sink() {
  const chunks: number[] = [];
  return { chunks, sendAudio: (pcm: Int16Array) => chunks.push(pcm.length), bufferedBytes: () => 0 };
}

describe('Pacer', () => {
  test('sends small chunks, at most the lead ahead of the playout clock', async () => {
    let now = 0;
    const s = sink();
    const pacer = new Pacer(s, {
      sampleRate: 1000,
      chunkMs: 20,
      leadMs: 100,
      maxSocketBufferedBytes: 1e6,
      now: () => now,
    });
    pacer.enqueue(new Int16Array(1000), 0);
    pacer.end();
    await new Promise((r) => setTimeout(r, 5));
    expect(s.chunks).toEqual([20, 20, 20, 20, 20]);
    now = 50;
    await new Promise((r) => setTimeout(r, 60));
    expect(s.chunks.length).toBe(8);
    pacer.stop();
  });

  test('pause rewinds audio the client has not played; resume sends it again', async () => {
    let now = 0;
    const s = sink();
    const pacer = new Pacer(s, {
      sampleRate: 1000,
      chunkMs: 20,
      leadMs: 100,
      maxSocketBufferedBytes: 1e6,
      now: () => now,
    });
    pacer.enqueue(new Int16Array(200), 3);
    await new Promise((r) => setTimeout(r, 5));
    expect(pacer.playedSamples(3)).toBe(100);
    now = 30;
    pacer.pause();
    expect(pacer.playedSamples(3)).toBe(30);
    expect(pacer.queuedSamples).toBe(170);
    pacer.resume();
    pacer.end();
    await new Promise((r) => setTimeout(r, 5));
    // The partly played chunk is resent from the first unplayed sample on.
    expect(s.chunks.slice(5)).toEqual([10, 20, 20, 20, 20, 20]);
    now = 1000;
    await new Promise((r) => setTimeout(r, 20));
    now = 5000;
    await pacer.done;
    expect(pacer.playedSamples(3)).toBe(200);
    expect(s.chunks.reduce((a, b) => a + b, 0)).toBe(200 + 70);
  });

  test('no audio while the socket is backed up', async () => {
    const chunks: number[] = [];
    const pacer = new Pacer(
      { sendAudio: (p) => chunks.push(p.length), bufferedBytes: () => 1e9 },
      { sampleRate: 1000, chunkMs: 20, leadMs: 100, maxSocketBufferedBytes: 1e6 },
    );
    pacer.enqueue(new Int16Array(100), 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(chunks).toEqual([]);
    pacer.stop();
  });
});
