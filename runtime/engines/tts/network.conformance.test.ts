import { startBark } from '../../../hack/servers/bark.js';
import { startCoqui } from '../../../hack/servers/coqui.js';
import { startOpenAiCompatible } from '../../../hack/servers/openai-compatible.js';
import { describeTtsConformance } from '../test/conformance.js';
import { BarkTts } from './bark.js';
import { CoquiTts } from './coqui.js';
import { OpenAiTts } from './openai.js';

const paced = { chunkMs: 100, interChunkDelayMs: 10 };

describeTtsConformance('openai (local OpenAI-compatible server)', async () => {
  const server = await startOpenAiCompatible({ speech: paced });
  return { engine: new OpenAiTts({ baseUrl: `${server.url}/v1` }), teardown: () => server.close() };
});

describeTtsConformance('coqui, classic /api/tts (local server)', async () => {
  const server = await startCoqui({ apis: ['tts'], step: paced });
  return { engine: new CoquiTts({ baseUrl: server.url }), teardown: () => server.close() };
});

describeTtsConformance('coqui, XTTS /tts_stream (local server)', async () => {
  const server = await startCoqui({ apis: ['xtts-stream'], latentRows: 2, step: paced });
  return { engine: new CoquiTts({ baseUrl: server.url }), teardown: () => server.close() };
});

describeTtsConformance('bark via LocalAI /tts (local server)', async () => {
  const server = await startBark({ step: paced });
  return { engine: new BarkTts({ baseUrl: server.url }), teardown: () => server.close() };
});
