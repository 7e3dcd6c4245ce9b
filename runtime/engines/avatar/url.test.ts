import { parseGrpcTarget } from './url.js';

describe('parseGrpcTarget (AUDIO2FACE_GRPC_URL)', () => {
  it.each([
    ['a2f:52000', false, { address: 'a2f:52000', tls: false }],
    ['a2f:52000', true, { address: 'a2f:52000', tls: true }],
    ['grpc://10.0.0.5:52000', false, { address: '10.0.0.5:52000', tls: false }],
    ['grpc://a2f.example:443', true, { address: 'a2f.example:443', tls: true }],
    ['grpcs://a2f.example:443', false, { address: 'a2f.example:443', tls: true }],
    ['grpc://[::1]:52000', false, { address: '[::1]:52000', tls: false }],
    [' 127.0.0.1:52000 ', false, { address: '127.0.0.1:52000', tls: false }],
  ])('accepts %s (tls=%s)', (raw, tls, expected) => {
    expect(parseGrpcTarget(raw, tls)).toEqual(expected);
  });

  it.each([
    '',
    'a2f',
    'http://a2f:52000',
    'grpc://a2f',
    'grpc://a2f:52000/path',
    'grpc://user:pw@a2f:1',
    'a2f:notaport',
  ])('rejects %j with a config error', (raw) => {
    expect(() => parseGrpcTarget(raw)).toThrow(
      expect.objectContaining({ component: 'avatar', code: 'config' }),
    );
  });
});
