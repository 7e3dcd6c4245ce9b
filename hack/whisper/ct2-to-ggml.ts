/**
 * Converts a CTranslate2 Whisper model (faster-whisper layout: model.bin, vocabulary.txt) into
 * the ggml file whisper.cpp loads. Tensor names and layouts follow whisper.cpp's loader:
 * matrices stay float16, vectors, conv biases and positional embeddings become float32, fused
 * attention projections are split, and the byte-level BPE vocabulary is written as raw bytes.
 *   npx tsx hack/whisper/ct2-to-ggml.ts model.bin vocabulary.txt out.bin
 */
import { open, readFile } from 'node:fs/promises';
import { CT2_FLOAT16, readCt2, type Ct2Model, type Ct2Variable } from './ct2.js';
import { melFilters } from './mel.js';

const GGML_MAGIC = 0x67676d6c;
const GGML_F32 = 0;
const GGML_F16 = 1;

interface Tensor {
  name: string;
  /** Row-major shape, outermost first. */
  shape: number[];
  type: typeof GGML_F32 | typeof GGML_F16;
  data: Buffer;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function asF32(v: Ct2Variable): Buffer {
  if (v.dtype !== CT2_FLOAT16)
    throw new Error(`${v.name}: expected float16, got CTranslate2 dtype ${v.dtype}`);
  const out = Buffer.alloc((v.data.length / 2) * 4);
  for (let i = 0; i < v.data.length / 2; i++) out.writeFloatLE(f16ToF32(v.data.readUInt16LE(i * 2)), i * 4);
  return out;
}

function asF16(v: Ct2Variable): Buffer {
  if (v.dtype !== CT2_FLOAT16)
    throw new Error(`${v.name}: expected float16, got CTranslate2 dtype ${v.dtype}`);
  return v.data;
}

/** GPT-2 byte-level BPE: the printable character standing for each byte. */
function unicodeToByte(): Map<string, number> {
  const bytes: number[] = [];
  for (let b = 33; b <= 126; b++) bytes.push(b);
  for (let b = 161; b <= 172; b++) bytes.push(b);
  for (let b = 174; b <= 255; b++) bytes.push(b);
  const chars = [...bytes];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + n++);
    }
  }
  return new Map(chars.map((c, i) => [String.fromCodePoint(c), bytes[i]!]));
}

export function tokenBytes(vocabulary: string[]): Buffer[] {
  const map = unicodeToByte();
  const eot = vocabulary.indexOf('<|endoftext|>');
  if (eot < 0) throw new Error('vocabulary has no <|endoftext|>');
  // whisper.cpp makes the special tokens itself; the file carries the regular ones.
  return vocabulary.slice(0, eot).map((tok) =>
    Buffer.from(
      [...tok].map((ch) => {
        const b = map.get(ch);
        if (b === undefined) throw new Error(`token ${JSON.stringify(tok)} is not byte-level BPE`);
        return b;
      }),
    ),
  );
}

function get(model: Ct2Model, name: string): Ct2Variable {
  const v = model.variables.get(name);
  if (!v) throw new Error(`CTranslate2 model has no ${name}`);
  return v;
}

function scalar(model: Ct2Model, name: string): number {
  const v = get(model, name);
  if (v.dtype === 3) return v.data.readInt32LE(0);
  if (v.dtype === 2) return v.data.readInt16LE(0);
  if (v.dtype === 1) return v.data.readInt8(0);
  throw new Error(`${name}: unexpected dtype ${v.dtype}`);
}

function layers(model: Ct2Model, prefix: string): number {
  let n = 0;
  while (model.variables.has(`${prefix}/layer_${n}/ffn/linear_0/weight`)) n++;
  return n;
}

/** Rows [from, to) of a row-major float16 matrix (or vector). */
function rows(v: Ct2Variable, from: number, to: number): Buffer {
  const width = v.shape.length > 1 ? v.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  return v.data.subarray(from * width * 2, to * width * 2);
}

function buildTensors(model: Ct2Model): Tensor[] {
  const out: Tensor[] = [];
  const f32 = (name: string, v: Ct2Variable, shape = v.shape): void => {
    out.push({ name, shape, type: GGML_F32, data: asF32(v) });
  };
  const f16 = (name: string, v: Ct2Variable): void => {
    out.push({ name, shape: v.shape, type: GGML_F16, data: asF16(v) });
  };
  const f32Rows = (name: string, v: Ct2Variable, from: number, to: number): void => {
    const part: Ct2Variable = { ...v, shape: [to - from], data: rows(v, from, to) };
    out.push({ name, shape: [to - from], type: GGML_F32, data: asF32(part) });
  };
  const f16Rows = (name: string, v: Ct2Variable, from: number, to: number): void => {
    out.push({ name, shape: [to - from, ...v.shape.slice(1)], type: GGML_F16, data: rows(v, from, to) });
  };
  const norm = (name: string, ct2: string): void => {
    f32(`${name}.weight`, get(model, `${ct2}/gamma`));
    f32(`${name}.bias`, get(model, `${ct2}/beta`));
  };
  const linear = (name: string, ct2: string): void => {
    f16(`${name}.weight`, get(model, `${ct2}/weight`));
    f32(`${name}.bias`, get(model, `${ct2}/bias`));
  };
  /** Fused projections [q;k;v] or [k;v]: whisper's key projection has no bias. */
  const fused = (names: string[], ct2: string): void => {
    const w = get(model, `${ct2}/weight`);
    const b = get(model, `${ct2}/bias`);
    const d = w.shape[0]! / names.length;
    names.forEach((name, i) => {
      f16Rows(`${name}.weight`, w, i * d, (i + 1) * d);
      if (!name.endsWith('.key')) f32Rows(`${name}.bias`, b, i * d, (i + 1) * d);
    });
  };

  f32('encoder.positional_embedding', get(model, 'encoder/position_encodings/encodings'));
  f16('encoder.conv1.weight', get(model, 'encoder/conv1/weight'));
  const c1 = get(model, 'encoder/conv1/bias');
  f32('encoder.conv1.bias', c1, [c1.shape[0]!, 1]);
  f16('encoder.conv2.weight', get(model, 'encoder/conv2/weight'));
  const c2 = get(model, 'encoder/conv2/bias');
  f32('encoder.conv2.bias', c2, [c2.shape[0]!, 1]);
  for (let i = 0; i < layers(model, 'encoder'); i++) {
    const p = `encoder.blocks.${i}`;
    const c = `encoder/layer_${i}`;
    norm(`${p}.attn_ln`, `${c}/self_attention/layer_norm`);
    fused([`${p}.attn.query`, `${p}.attn.key`, `${p}.attn.value`], `${c}/self_attention/linear_0`);
    linear(`${p}.attn.out`, `${c}/self_attention/linear_1`);
    norm(`${p}.mlp_ln`, `${c}/ffn/layer_norm`);
    linear(`${p}.mlp.0`, `${c}/ffn/linear_0`);
    linear(`${p}.mlp.2`, `${c}/ffn/linear_1`);
  }
  norm('encoder.ln_post', 'encoder/layer_norm');

  f32('decoder.positional_embedding', get(model, 'decoder/position_encodings/encodings'));
  f16('decoder.token_embedding.weight', get(model, 'decoder/embeddings/weight'));
  for (let i = 0; i < layers(model, 'decoder'); i++) {
    const p = `decoder.blocks.${i}`;
    const c = `decoder/layer_${i}`;
    norm(`${p}.attn_ln`, `${c}/self_attention/layer_norm`);
    fused([`${p}.attn.query`, `${p}.attn.key`, `${p}.attn.value`], `${c}/self_attention/linear_0`);
    linear(`${p}.attn.out`, `${c}/self_attention/linear_1`);
    norm(`${p}.cross_attn_ln`, `${c}/attention/layer_norm`);
    linear(`${p}.cross_attn.query`, `${c}/attention/linear_0`);
    fused([`${p}.cross_attn.key`, `${p}.cross_attn.value`], `${c}/attention/linear_1`);
    linear(`${p}.cross_attn.out`, `${c}/attention/linear_2`);
    norm(`${p}.mlp_ln`, `${c}/ffn/layer_norm`);
    linear(`${p}.mlp.0`, `${c}/ffn/linear_0`);
    linear(`${p}.mlp.2`, `${c}/ffn/linear_1`);
  }
  norm('decoder.ln', 'decoder/layer_norm');
  return out;
}

function int32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

export async function convert(modelBin: string, vocabularyTxt: string, outFile: string): Promise<void> {
  const model = readCt2(await readFile(modelBin));
  if (model.spec !== 'WhisperSpec') throw new Error(`${modelBin} is a ${model.spec}, not a Whisper model`);
  const vocabulary = (await readFile(vocabularyTxt, 'utf8'))
    .split('\n')
    .filter((l, i, a) => l !== '' || i < a.length - 1);
  const tokens = tokenBytes(vocabulary);
  const enc = get(model, 'encoder/position_encodings/encodings');
  const dec = get(model, 'decoder/position_encodings/encodings');
  const conv1 = get(model, 'encoder/conv1/weight');
  const nMels = conv1.shape[1]!;
  const hparams = [
    vocabulary.length,
    enc.shape[0]!,
    enc.shape[1]!,
    scalar(model, 'encoder/num_heads'),
    layers(model, 'encoder'),
    dec.shape[0]!,
    dec.shape[1]!,
    scalar(model, 'decoder/num_heads'),
    layers(model, 'decoder'),
    nMels,
    1, // float16 weights
  ];
  const fh = await open(outFile, 'w');
  try {
    const write = async (b: Buffer): Promise<void> => void (await fh.write(b));
    await write(int32s(GGML_MAGIC, ...hparams));
    const filters = melFilters(16000, 400, nMels);
    await write(int32s(nMels, 201));
    await write(Buffer.from(filters.buffer, filters.byteOffset, filters.byteLength));
    await write(int32s(tokens.length));
    for (const t of tokens) await write(Buffer.concat([int32s(t.length), t]));
    for (const t of buildTensors(model)) {
      const name = Buffer.from(t.name, 'utf8');
      await write(int32s(t.shape.length, name.length, t.type, ...[...t.shape].reverse()));
      await write(name);
      await write(t.data);
    }
  } finally {
    await fh.close();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [modelBin, vocab, out] = process.argv.slice(2);
  if (!modelBin || !vocab || !out) {
    console.error('usage: ct2-to-ggml.ts model.bin vocabulary.txt out.bin');
    process.exit(2);
  }
  await convert(modelBin, vocab, out);
}
