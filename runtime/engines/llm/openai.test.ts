import { startOpenAiCompatible, type OpenAiServer } from '../../../hack/servers/openai-compatible.js';
import { EngineError, isAbortError } from '../types.js';
import { OpenAiLlm, type OpenAiLlmOptions } from './openai.js';

let server: OpenAiServer;
const engines: OpenAiLlm[] = [];

afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await server?.close();
});

async function engine(extra: Partial<OpenAiLlmOptions> = {}): Promise<OpenAiLlm> {
  const llm = new OpenAiLlm({
    baseUrl: `${server.url}/v1`,
    apiKey: 'test-key',
    model: 'local-model',
    systemPrompt: 'You are a test.',
    firstTokenTimeoutMs: 2_000,
    maxRetries: 2,
    retryBaseDelayMs: 10,
    retryMaxDelayMs: 20,
    ...extra,
  });
  engines.push(llm);
  await llm.init();
  return llm;
}

const user = [{ role: 'user' as const, content: 'what time is it' }];

async function collect(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const t of iterable) out.push(t);
  return out;
}

async function failure(iterable: AsyncIterable<string>, seen: string[] = []): Promise<unknown> {
  try {
    for await (const t of iterable) seen.push(t);
  } catch (err) {
    return err;
  }
  throw new Error('expected the stream to fail');
}

describe('OpenAiLlm against a local OpenAI-compatible server', () => {
  it('streams the reply token by token, with the system prompt, model and bearer key', async () => {
    server = await startOpenAiCompatible({ chat: { reply: 'It is noon, friend.' } });
    const llm = await engine();
    expect(llm.status()).toMatchObject({ state: 'up', engine: 'openai' });
    const tokens = await collect(llm.stream(user, { signal: new AbortController().signal }));
    expect(tokens).toEqual(['It', ' is', ' noon,', ' friend.']);
    const [req] = server.chatRequests();
    expect(req?.headers.authorization).toBe('Bearer test-key');
    expect(req?.body).toMatchObject({
      model: 'local-model',
      stream: true,
      messages: [
        { role: 'system', content: 'You are a test.' },
        { role: 'user', content: 'what time is it' },
      ],
    });
    expect(req?.finished).toBe(true);
  });

  it('passes max_tokens and temperature when configured', async () => {
    server = await startOpenAiCompatible();
    const llm = await engine({ maxTokens: 64, temperature: 0.2 });
    expect((await collect(llm.stream(user, { signal: new AbortController().signal }))).join('')).toBe(
      'I heard: what time is it',
    );
    expect(server.chatRequests()[0]?.body).toMatchObject({ max_tokens: 64, temperature: 0.2 });
  });

  it('delivers tokens as they arrive when the server paces them', async () => {
    server = await startOpenAiCompatible({
      chat: { reply: 'one two three', firstTokenDelayMs: 50, interTokenDelayMs: 30 },
    });
    const llm = await engine();
    const arrivals: number[] = [];
    for await (const _ of llm.stream(user, { signal: new AbortController().signal }))
      arrivals.push(Date.now());
    expect(arrivals).toHaveLength(3);
    // Paced tokens arrive in separate reads, in order; no exact timing is asserted.
    expect(arrivals[2]!).toBeGreaterThanOrEqual(arrivals[0]!);
  });

  it('retries a 500 before the first token and succeeds', async () => {
    server = await startOpenAiCompatible({ chat: { reply: 'recovered' }, chatScript: [{ status: 500 }] });
    const llm = await engine();
    expect(await collect(llm.stream(user, { signal: new AbortController().signal }))).toEqual(['recovered']);
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('retries a 429 honouring Retry-After', async () => {
    server = await startOpenAiCompatible({
      chat: { reply: 'ok' },
      chatScript: [{ status: 429, retryAfterSeconds: 0 }],
    });
    const llm = await engine();
    expect(await collect(llm.stream(user, { signal: new AbortController().signal }))).toEqual(['ok']);
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('gives up after the bounded retries with upstream_error', async () => {
    server = await startOpenAiCompatible({ chat: { status: 500 } });
    const llm = await engine({ maxRetries: 1 });
    const err = await failure(llm.stream(user, { signal: new AbortController().signal }));
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ component: 'llm', code: 'upstream_error' });
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('does not retry a 400 and maps 401 to a config error', async () => {
    server = await startOpenAiCompatible({ chatScript: [{ status: 400 }, { status: 401 }] });
    const llm = await engine();
    expect(await failure(llm.stream(user, { signal: new AbortController().signal }))).toMatchObject({
      code: 'upstream_error',
      retryable: false,
    });
    expect(await failure(llm.stream(user, { signal: new AbortController().signal }))).toMatchObject({
      code: 'config',
    });
    expect(server.chatRequests()).toHaveLength(2);
  });

  it('fails the turn without retrying when the server errors after the first token', async () => {
    server = await startOpenAiCompatible({ chat: { reply: 'a b c d', errorAfterTokens: 2 } });
    const llm = await engine();
    const seen: string[] = [];
    const err = await failure(llm.stream(user, { signal: new AbortController().signal }), seen);
    expect(seen).toEqual(['a', ' b']);
    expect(err).toMatchObject({ component: 'llm', code: 'upstream_error', retryable: false });
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('fails the turn without retrying when the connection drops mid-reply', async () => {
    server = await startOpenAiCompatible({ chat: { reply: 'a b c d', dropAfterTokens: 1 } });
    const llm = await engine();
    const seen: string[] = [];
    const err = await failure(llm.stream(user, { signal: new AbortController().signal }), seen);
    expect(seen).toEqual(['a']);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).retryable).toBe(false);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it('times out a stalled stream, retries it, and closes every stalled request', async () => {
    server = await startOpenAiCompatible({ chat: { stall: true } });
    const llm = await engine({ firstTokenTimeoutMs: 150, maxRetries: 1 });
    const err = await failure(llm.stream(user, { signal: new AbortController().signal }));
    expect(err).toMatchObject({ component: 'llm', code: 'timeout' });
    expect(server.chatRequests()).toHaveLength(2);
    await server.waitFor(() => server.chatRequests().every((r) => r.aborted));
    expect(llm.status().state).toBe('down');
  });

  it('recovers from a stall when the retry answers', async () => {
    server = await startOpenAiCompatible({ chat: { reply: 'fine' }, chatScript: [{ stall: true }] });
    const llm = await engine({ firstTokenTimeoutMs: 150 });
    expect(await collect(llm.stream(user, { signal: new AbortController().signal }))).toEqual(['fine']);
    await server.waitFor(() => server.chatRequests()[0]!.aborted);
  });

  it('aborts mid-stream at once: AbortError, and the server sees the disconnect', async () => {
    server = await startOpenAiCompatible({
      chat: { reply: 'one two three four five', interTokenDelayMs: 200 },
    });
    const llm = await engine();
    const ac = new AbortController();
    const seen: string[] = [];
    const err = await failure(
      (async function* () {
        for await (const t of llm.stream(user, { signal: ac.signal })) {
          yield t;
          ac.abort();
        }
      })(),
      seen,
    );
    expect(seen).toEqual(['one']);
    expect(isAbortError(err)).toBe(true);
    await server.waitFor(() => server.chatRequests()[0]!.aborted);
    expect(llm.status().state).toBe('up');
  });

  it('closes the request when the consumer breaks out', async () => {
    server = await startOpenAiCompatible({ chat: { reply: 'one two three four', interTokenDelayMs: 200 } });
    const llm = await engine();
    for await (const _ of llm.stream(user, { signal: new AbortController().signal })) break;
    await server.waitFor(() => server.chatRequests()[0]!.aborted);
  });

  it('aborts during the backoff between tries without another request', async () => {
    server = await startOpenAiCompatible({ chat: { status: 503 } });
    const llm = await engine({ retryBaseDelayMs: 5_000, retryMaxDelayMs: 5_000 });
    const ac = new AbortController();
    const pending = failure(llm.stream(user, { signal: ac.signal }));
    await server.waitFor(() => server.chatRequests().length === 1 && server.chatRequests()[0]!.finished);
    ac.abort();
    expect(isAbortError(await pending)).toBe(true);
    expect(server.chatRequests()).toHaveLength(1);
  });

  it.each([
    ['json', 'a data line that is not JSON'],
    ['shape', 'JSON that is not a chunk'],
    ['html', 'an HTML page with status 200'],
  ] as const)(
    'rejects a malformed stream (%s: %s) as bad_response without retrying',
    async (malformed, _why) => {
      server = await startOpenAiCompatible({ chat: { malformed } });
      const llm = await engine();
      expect(await failure(llm.stream(user, { signal: new AbortController().signal }))).toMatchObject({
        component: 'llm',
        code: 'bad_response',
      });
      expect(server.chatRequests()).toHaveLength(1);
    },
  );

  it('starts with the endpoint down: status down, turns fail with unavailable', async () => {
    server = await startOpenAiCompatible();
    const url = server.url;
    await server.close();
    const llm = new OpenAiLlm({
      baseUrl: `${url}/v1`,
      model: 'm',
      maxRetries: 1,
      retryBaseDelayMs: 5,
      retryMaxDelayMs: 5,
    });
    engines.push(llm);
    await llm.init();
    expect(llm.status()).toMatchObject({ state: 'down', engine: 'openai' });
    expect(await failure(llm.stream(user, { signal: new AbortController().signal }))).toMatchObject({
      code: 'unavailable',
    });
    server = await startOpenAiCompatible();
  });

  it('rejects an unusable configuration at init', async () => {
    server = await startOpenAiCompatible();
    await expect(new OpenAiLlm({ baseUrl: 'not a url', model: 'm' }).init()).rejects.toMatchObject({
      code: 'config',
    });
    await expect(new OpenAiLlm({ baseUrl: server.url, model: '' }).init()).rejects.toMatchObject({
      code: 'config',
    });
  });
});
