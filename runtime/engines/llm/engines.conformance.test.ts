import { ensureSmolLm2 } from '../../../hack/models/smollm2.js';
import { startOpenAiCompatible } from '../../../hack/servers/openai-compatible.js';
import { describeLlmConformance } from '../test/llm-conformance.js';
import { LlamaLlm } from './llama.js';
import { OfflineLlm } from './offline.js';
import { OpenAiLlm } from './openai.js';

describeLlmConformance('openai (local OpenAI-compatible server)', async () => {
  const server = await startOpenAiCompatible({
    chat: { reply: 'Paris is the capital of France.', interTokenDelayMs: 5 },
  });
  return {
    engine: new OpenAiLlm({ baseUrl: `${server.url}/v1`, model: 'local-model' }),
    teardown: () => server.close(),
  };
});

describeLlmConformance('offline (rule-based responder)', async () => ({ engine: new OfflineLlm() }));

// A CPU model on a machine shared with other test workers: generous per-test time, short replies.
describeLlmConformance(
  'llama (SmolLM2-135M on the CPU)',
  async () => ({ engine: new LlamaLlm({ modelPath: await ensureSmolLm2(), temperature: 0, maxTokens: 16 }) }),
  240_000,
);
