import fc from 'fast-check';
import { newSessionId, isSessionId } from './ids.js';
import { SessionTokenSigner } from './token.js';

const signer = new SessionTokenSigner('s'.repeat(32));
const NOW = 1_800_000_000_000;

describe('session ids', () => {
  it('are 128 random bits, url-safe, and never repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, newSessionId));
    expect(ids.size).toBe(10_000);
    for (const id of [...ids].slice(0, 100)) {
      expect(isSessionId(id)).toBe(true);
      expect(encodeURIComponent(id)).toBe(id);
    }
    expect(isSessionId('sess_short')).toBe(false);
    expect(isSessionId('../etc/passwd')).toBe(false);
  });
});

describe('session tokens', () => {
  const id = newSessionId();
  const token = signer.sign(id, NOW + 60_000);

  it('verify for their session until they expire', () => {
    expect(signer.verify(id, token, NOW)).toBe('valid');
    expect(signer.verify(id, token, NOW + 61_000)).toBe('expired');
  });

  it('do not verify for another session or another secret', () => {
    expect(signer.verify(newSessionId(), token, NOW)).toBe('invalid');
    expect(new SessionTokenSigner('t'.repeat(32)).verify(id, token, NOW)).toBe('invalid');
  });

  it('do not verify when the expiry is edited', () => {
    const [v, exp, mac] = token.split('.');
    const later = `${v}.${Number(exp) + 3600}.${mac}`;
    expect(signer.verify(id, later, NOW)).toBe('invalid');
  });

  it('reject any other string', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(signer.verify(id, s, NOW)).not.toBe('valid');
      }),
    );
    expect(signer.verify(id, token.slice(0, -1), NOW)).toBe('invalid');
    expect(signer.verify(id, `${token}x`, NOW)).toBe('invalid');
  });

  it('flip to invalid on any single changed character', () => {
    for (let i = 0; i < token.length; i++) {
      const c = token[i] === 'A' ? 'B' : 'A';
      const t = token.slice(0, i) + c + token.slice(i + 1);
      if (t !== token) expect(signer.verify(id, t, NOW)).not.toBe('valid');
    }
  });
});
