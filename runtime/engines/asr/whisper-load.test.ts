import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../types.js';
import { WhisperAsr } from './whisper.js';

async function initError(modelPath: string): Promise<EngineError> {
  const asr = new WhisperAsr({ modelPath });
  const err = await asr.init().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EngineError);
  expect(asr.status().state).toBe('down');
  expect(asr.status().detail).toBe((err as Error).message);
  return err as EngineError;
}

describe('WhisperAsr model loading', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'whisper-'));
  });

  it('asks for ASR_MODEL_PATH when no path is given', async () => {
    const err = await initError('');
    expect(err.code).toBe('config');
    expect(err.message).toContain('ASR_MODEL_PATH');
  });

  it('names a missing file', async () => {
    const err = await initError(path.join(dir, 'missing.bin'));
    expect(err.code).toBe('model_load');
    expect(err.message).toContain(path.join(dir, 'missing.bin'));
  });

  it('rejects a file that is not a ggml model before whisper.cpp sees it', async () => {
    const file = path.join(dir, 'garbage.bin');
    await writeFile(file, 'this is not a model');
    const err = await initError(file);
    expect(err.code).toBe('model_load');
    expect(err.message).toMatch(/not a ggml\/gguf model/);
  });

  it('rejects nonsense hyper-parameters before whisper.cpp sizes buffers from them', async () => {
    const file = path.join(dir, 'zeros.bin');
    const b = Buffer.alloc(64);
    b.writeUInt32LE(0x67676d6c, 0);
    await writeFile(file, b);
    const err = await initError(file);
    expect(err.code).toBe('model_load');
    expect(err.message).toMatch(/implausible header/);
  });

  it('reports a truncated ggml file that whisper.cpp refuses', async () => {
    const file = path.join(dir, 'truncated.bin');
    const hparams = [51865, 1500, 512, 8, 6, 448, 512, 8, 6, 80, 1];
    const b = Buffer.alloc(4 + 4 * hparams.length + 100);
    b.writeUInt32LE(0x67676d6c, 0);
    hparams.forEach((v, i) => b.writeInt32LE(v, 4 + 4 * i));
    await writeFile(file, b);
    const err = await initError(file);
    expect(err.code).toBe('model_load');
    expect(err.message).toContain('whisper.cpp could not load');
    expect(err.message).toContain(file);
  });

  it('a stream on an engine that never loaded fails as unavailable', async () => {
    const asr = new WhisperAsr({ modelPath: path.join(dir, 'missing.bin') });
    await asr.init().catch(() => undefined);
    const s = asr.stream({ signal: new AbortController().signal });
    s.push(new Int16Array(1600));
    await expect(s.finish()).rejects.toMatchObject({ code: 'unavailable' });
  });
});
