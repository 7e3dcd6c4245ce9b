const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

export class QuantityError extends Error {
  readonly code = 'INVALID_QUANTITY';
  constructor(readonly value: string | number) {
    super(`not a Kubernetes quantity: ${String(value)}`);
  }
}

/** Value of a Kubernetes resource quantity (`500m`, `2Gi`, `1e3`, 4) as a plain number. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m =
    /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([KMGTPE]i)|([numkMGTPE])|[eE]([+-]?(?:\d+(?:\.\d*)?|\.\d+)))?$/.exec(
      q,
    );
  if (!m) throw new QuantityError(q);
  const base = Number(m[1]);
  if (m[2]) return base * (BINARY[m[2]] as number);
  if (m[3]) return base * (DECIMAL[m[3]] as number);
  if (m[4]) return base * 10 ** Number(m[4]);
  return base;
}
