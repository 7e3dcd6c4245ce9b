import { ConversationHistory, heardText } from './history.js';

describe('heardText', () => {
  test('whole clauses played plus the played share of the cut clause, to a word boundary', () => {
    const clauses = [
      { text: 'Sure thing.', totalSamples: 100, playedSamples: 100 },
      { text: 'Here is the weather for today.', totalSamples: 300, playedSamples: 150 },
      { text: 'Never heard.', totalSamples: 100, playedSamples: 0 },
    ];
    expect(heardText(clauses)).toBe('Sure thing. Here is the');
  });

  test('nothing played is nothing heard', () => {
    expect(heardText([{ text: 'Hi.', totalSamples: 10, playedSamples: 0 }])).toBe('');
  });
});

describe('ConversationHistory', () => {
  test('system prompt first, bounded, empty messages skipped', () => {
    const h = new ConversationHistory('sys', 2);
    h.add('user', 'a');
    h.add('assistant', '');
    h.add('assistant', 'b');
    h.add('user', 'c');
    expect(h.forLlm()).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'assistant', content: 'b' },
      { role: 'user', content: 'c' },
    ]);
  });
});
