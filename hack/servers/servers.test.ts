import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { startOpenAiCompatible } from './openai-compatible.js';

/** Starts a server file as a CLI (as benchmarks do) and returns its URL from the first line it prints. */
async function startCli(file: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${out}`)));
  });
  return { child, url };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

describe('local protocol servers', () => {
  it('streams chat completions as OpenAI server-sent events', async () => {
    const server = await startOpenAiCompatible({ chat: { reply: 'Hi there.' } });
    try {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'm',
          messages: [{ role: 'user', content: 'hey' }],
          stream: true,
          stream_options: { include_usage: true },
        }),
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const events = (await res.text()).split('\n\n').filter(Boolean);
      expect(events.every((e) => e.startsWith('data: '))).toBe(true);
      expect(events.at(-1)).toBe('data: [DONE]');
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
      expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
      const deltas = chunks.flatMap((c) =>
        (c.choices as { delta: { content?: string } }[]).map((ch) => ch.delta.content ?? ''),
      );
      expect(deltas.join('')).toBe('Hi there.');
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 2 } });
    } finally {
      await server.close();
    }
  });

  it('answers a non-streamed chat completion', async () => {
    const server = await startOpenAiCompatible({ chat: { reply: 'Plain.' } });
    try {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hey' }] }),
      });
      expect(await res.json()).toMatchObject({
        object: 'chat.completion',
        choices: [{ message: { role: 'assistant', content: 'Plain.' } }],
      });
    } finally {
      await server.close();
    }
  });

  it.each([
    ['hack/servers/openai-compatible.ts', ['--reply', 'From the CLI.'], '/v1/models'],
    ['hack/servers/coqui.ts', ['--audio', 'tone'], '/languages'],
    ['hack/servers/bark.ts', ['--audio', 'tone'], '/readyz'],
  ])('%s runs as a command and stops on SIGTERM', async (file, args, probePath) => {
    const { child, url } = await startCli(file, args);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${url}${probePath}`)).status).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });
});
