/**
 * Per-session tokens: `v1.<expiry unix seconds>.<HMAC-SHA256(secret, id + expiry)>`. Stateless, so
 * every pod sharing SESSION_SECRET can verify a token, and a pod that does not hold the session
 * can answer "not here" (404) to the rightful owner instead of "unauthorized".
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenCheck = 'valid' | 'invalid' | 'expired';

export class SessionTokenSigner {
  readonly #secret: string;

  constructor(secret: string) {
    if (secret.length < 16) throw new Error('session secret too short');
    this.#secret = secret;
  }

  sign(sessionId: string, expiresAtMs: number): string {
    const exp = Math.ceil(expiresAtMs / 1000);
    return `v1.${exp}.${this.#mac(sessionId, exp)}`;
  }

  verify(sessionId: string, token: string, nowMs: number): TokenCheck {
    const m = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (m === null) return 'invalid';
    const exp = Number(m[1]);
    const expected = Buffer.from(this.#mac(sessionId, exp));
    const given = Buffer.from(m[2] ?? '');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'invalid';
    return exp * 1000 > nowMs ? 'valid' : 'expired';
  }

  #mac(sessionId: string, exp: number): string {
    return createHmac('sha256', this.#secret).update(`session:${sessionId}:${exp}`).digest('base64url');
  }
}
