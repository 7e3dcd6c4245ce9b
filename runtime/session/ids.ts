import { randomBytes } from 'node:crypto';

/** `sess_` + 128 random bits, base64url: unguessable and safe in URLs. */
export function newSessionId(): string {
  return `sess_${randomBytes(16).toString('base64url')}`;
}

const SESSION_ID = /^sess_[A-Za-z0-9_-]{22}$/;

export function isSessionId(s: string): boolean {
  return SESSION_ID.test(s);
}
