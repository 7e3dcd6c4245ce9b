import { ClauseSplitter } from './clause-splitter.js';

function split(deltas: string[]): string[] {
  const s = new ClauseSplitter();
  return [...deltas.flatMap((d) => s.push(d)), ...s.flush()];
}

describe('ClauseSplitter', () => {
  test('the first clause ends at early clause punctuation, later ones at sentence ends', () => {
    const text = 'Well, I think so, because the weather today is fine, and warm. It will rain tomorrow. Bye';
    expect(split([...text]).map((c) => c)).toEqual([
      'Well, I think so,',
      'because the weather today is fine, and warm.',
      'It will rain tomorrow.',
      'Bye',
    ]);
  });

  test('streams: a clause is emitted as soon as whitespace follows its punctuation', () => {
    const s = new ClauseSplitter();
    expect(s.push('Hello there.')).toEqual([]);
    expect(s.push(' How')).toEqual(['Hello there.']);
    expect(s.flush()).toEqual(['How']);
  });

  test('numbers and abbreviations do not end clauses', () => {
    expect(split(['It costs 3.5 dollars, says Dr. Smith. Ok'])).toEqual([
      'It costs 3.5 dollars,',
      'says Dr. Smith.',
      'Ok',
    ]);
  });

  test('a first clause without punctuation is cut at a word boundary', () => {
    const words = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
    const [first] = split([words]);
    expect(first!.length).toBeLessThanOrEqual(60);
    expect(words.startsWith(first!)).toBe(true);
  });

  test('empty input gives no clauses', () => {
    expect(split(['', '  '])).toEqual([]);
  });
});
