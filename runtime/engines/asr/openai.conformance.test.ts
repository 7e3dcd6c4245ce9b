import { tone } from '../../../hack/servers/audio.js';
import { startOpenAiCompatible } from '../../../hack/servers/openai-compatible.js';
import { describeAsrConformance } from '../test/conformance.js';
import { OpenAiAsr } from './openai.js';

describeAsrConformance('openai (local OpenAI-compatible server)', async () => {
  const server = await startOpenAiCompatible({ transcription: { text: 'what time is it', latencyMs: 20 } });
  return {
    engine: new OpenAiAsr({ baseUrl: `${server.url}/v1`, model: 'whisper-1', language: 'en' }),
    speech: tone(1_000, 16_000),
    teardown: () => server.close(),
  };
});
