/** Reader of CTranslate2 model.bin files (binary format versions 5 and 6). */
export interface Ct2Variable {
  name: string;
  shape: number[];
  /** CTranslate2 DataType: 0 float32, 1 int8, 2 int16, 3 int32, 4 float16, 5 bfloat16. */
  dtype: number;
  data: Buffer;
}

export interface Ct2Model {
  spec: string;
  revision: number;
  variables: Map<string, Ct2Variable>;
}

export const CT2_FLOAT32 = 0;
export const CT2_FLOAT16 = 4;

export function readCt2(buf: Buffer): Ct2Model {
  let at = 0;
  const u8 = (): number => buf.readUInt8(at++);
  const u16 = (): number => {
    const v = buf.readUInt16LE(at);
    at += 2;
    return v;
  };
  const u32 = (): number => {
    const v = buf.readUInt32LE(at);
    at += 4;
    return v;
  };
  const str = (): string => {
    const len = u16();
    const s = buf.toString('utf8', at, at + len - 1); // length counts the trailing NUL
    at += len;
    return s;
  };
  const version = u32();
  if (version < 5 || version > 6) throw new Error(`unsupported CTranslate2 binary version ${version}`);
  const spec = str();
  const revision = u32();
  const count = u32();
  const variables = new Map<string, Ct2Variable>();
  for (let i = 0; i < count; i++) {
    const name = str();
    const rank = u8();
    const shape = Array.from({ length: rank }, () => u32());
    const dtype = u8();
    const nbytes = u32();
    variables.set(name, { name, shape, dtype, data: buf.subarray(at, at + nbytes) });
    at += nbytes;
  }
  const aliases = u32();
  for (let i = 0; i < aliases; i++) {
    const alias = str();
    const target = str();
    const v = variables.get(target);
    if (v) variables.set(alias, { ...v, name: alias });
  }
  return { spec, revision, variables };
}
