import { startBark } from '../../../hack/servers/bark.js';
import { startCoqui } from '../../../hack/servers/coqui.js';
import { NETWORK_TTS } from '../tts/network.js';
import { createLlm } from './index.js';

describe('engine factories of the network engines', () => {
  it('picks the OpenAI client with LLM_BASE_URL, else a local model file, else the offline responder', () => {
    expect(createLlm({ model: 'm' }).name).toBe('offline');
    expect(createLlm({ model: 'm', baseUrl: '' }).name).toBe('offline');
    expect(createLlm({ model: 'm', baseUrl: 'http://127.0.0.1:9/v1' }).name).toBe('openai');
    expect(createLlm({ model: 'm', modelPath: '/m.gguf' }).name).toBe('llama');
    expect(createLlm({ model: 'm', modelPath: '/m.gguf', baseUrl: 'http://127.0.0.1:9/v1' }).name).toBe(
      'openai',
    );
  });

  it('builds each network TTS by name', async () => {
    expect(Object.keys(NETWORK_TTS).sort()).toEqual(['bark', 'coqui', 'openai']);
    const bark = await startBark();
    const coqui = await startCoqui({ apis: ['tts'] });
    try {
      for (const [name, url] of [
        ['bark', bark.url],
        ['coqui', coqui.url],
      ] as const) {
        const engine = NETWORK_TTS[name]({ baseUrl: url });
        await engine.init();
        expect(engine.status()).toMatchObject({ state: 'up', engine: name });
        await engine.close();
      }
      await expect(NETWORK_TTS.coqui({ baseUrl: coqui.url, model: 'glow' }).init()).rejects.toMatchObject({
        code: 'config',
      });
    } finally {
      await bark.close();
      await coqui.close();
    }
  });
});
