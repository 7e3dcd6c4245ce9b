/** The engines' HTTP client against a real loopback server: bodies, statuses, keep-alive, aborts, errors. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureOk, errorFromFetch } from './http.js';
import { httpRequest } from './http-client.js';
import { multipartBody } from './multipart.js';

let server: Server;
let base: string;
let handler: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('httpRequest', () => {
  it('sends method, headers and a body in parts with its length, and reads status, headers and body', async () => {
    let seen: { method?: string; length?: string; type?: string; agent?: string; body?: string } = {};
    handler = (req, body, res) => {
      seen = {
        method: req.method,
        agent: req.headers['user-agent'],
        length: req.headers['content-length'],
        type: req.headers['content-type'],
        body: body.toString(),
      };
      res.writeHead(201, { 'x-answer': '42', 'content-type': 'application/json' });
      res.end('{"ok":true}');
    };
    const res = await httpRequest(`${base}/x?q=1`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: [Buffer.from('hello '), Buffer.from('world')],
    });
    expect(seen).toEqual({
      method: 'POST',
      agent: 'goassist-runtime',
      length: '11',
      type: 'text/plain',
      body: 'hello world',
    });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.header('X-Answer')).toBe('42');
    expect(await res.json()).toEqual({ ok: true });
  });

  it('streams the body chunk by chunk as the server writes it', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200);
      res.write('first');
      setTimeout(() => res.end('second'), 50);
    };
    const res = await httpRequest(`${base}/stream`);
    const chunks: string[] = [];
    for await (const chunk of res.body) chunks.push(Buffer.from(chunk).toString());
    expect(chunks).toEqual(['first', 'second']);
  });

  it('keeps the connection alive between exchanges', async () => {
    const ports: number[] = [];
    handler = (req, _body, res) => {
      ports.push(req.socket.remotePort ?? 0);
      res.end('ok');
    };
    for (let i = 0; i < 3; i++) expect(await (await httpRequest(`${base}/ka`)).text()).toBe('ok');
    expect(new Set(ports).size).toBe(1);
  });

  it('reads no more of an error body than asked', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(500);
      res.end('x'.repeat(100_000));
    };
    const res = await httpRequest(`${base}/big`);
    expect(res.ok).toBe(false);
    expect(await res.text(10)).toBe('x'.repeat(10));
  });

  it('aborts while the body is read, and closes the connection', async () => {
    let closed = false;
    handler = (req, _body, res) => {
      res.writeHead(200);
      res.write('part');
      req.socket.once('close', () => (closed = true));
    };
    const ac = new AbortController();
    const res = await httpRequest(`${base}/slow`, { signal: ac.signal });
    const read = (async () => {
      for await (const chunk of res.body) {
        expect(Buffer.from(chunk).toString()).toBe('part');
        ac.abort();
      }
    })();
    await expect(read).rejects.toMatchObject({ name: 'AbortError' });
    expect(await read.catch((e: unknown) => e)).toBe(ac.signal.reason);
    await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
  });

  it('turns a non-2xx answer into the engine error of its status, and a redirect into a config error', async () => {
    handler = (req, _body, res) => {
      if (req.url === '/busy') {
        res.writeHead(503, { 'retry-after': '2', 'content-type': 'application/json' });
        res.end('{"error":{"message":"overloaded"}}');
      } else {
        res.writeHead(307, { location: 'https://user:pw@tts.example/v1/audio/speech?key=SECRET' });
        res.end();
      }
    };
    const busy = await ensureOk('tts', await httpRequest(`${base}/busy`)).catch((e: unknown) => e);
    expect(busy).toMatchObject({
      code: 'unavailable',
      retryable: true,
      message: expect.stringContaining('overloaded'),
    });
    const moved = await ensureOk('tts', await httpRequest(`${base}/moved`)).catch((e: unknown) => e);
    expect(moved).toMatchObject({ code: 'config', retryable: false });
    expect((moved as Error).message).toContain('redirect to https://tts.example/v1/audio/speech');
    expect((moved as Error).message).not.toContain('SECRET');
    expect((moved as Error).message).not.toContain('pw');
  });

  it('rejects with a network error that maps to unavailable when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await httpRequest(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(errorFromFetch('tts', err)).toMatchObject({ code: 'unavailable', retryable: true });
  });

  it('refuses what is not an http(s) URL', async () => {
    await expect(httpRequest('ftp://127.0.0.1/')).rejects.toThrow('unsupported protocol ftp:');
    await expect(httpRequest('not a url')).rejects.toThrow('not a URL');
  });
});

describe('multipartBody', () => {
  it('is read back field by field and byte for byte by a real multipart parser', async () => {
    const data = new Uint8Array(3000).map((_, i) => i % 256);
    const form = multipartBody(
      { model: 'whisper-1', 'odd"name': 'v\u00e4lue' },
      { field: 'file', filename: 'utterance.wav', contentType: 'audio/wav', data },
    );
    const parsed = await new Response(Buffer.concat(form.parts), {
      headers: { 'content-type': form.contentType },
    }).formData();
    expect(parsed.get('model')).toBe('whisper-1');
    expect(parsed.get('odd"name')).toBe('v\u00e4lue');
    const file = parsed.get('file') as File;
    expect(file.name).toBe('utterance.wav');
    expect(file.type).toBe('audio/wav');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(data);
  });
});
