/**
 * Cuts streaming LLM text into clauses for TTS. The first clause is cut early (at the first clause
 * punctuation, or at a word boundary when none comes) so the first audio does not wait for a sentence;
 * later clauses run to sentence ends, or to clause punctuation once they are long enough.
 */

export interface ClauseSplitterOptions {
  /** The first clause may end at `,;:` once it has this many characters. */
  firstMinChars: number;
  /** The first clause is cut at a word boundary once it reaches this many characters. */
  firstMaxChars: number;
  /** Later clauses may end at `,;:` once they have this many characters. */
  minChars: number;
  /** Any clause is cut at a word boundary once it reaches this many characters. */
  maxChars: number;
}

export const DEFAULT_CLAUSE_OPTIONS: ClauseSplitterOptions = {
  firstMinChars: 8,
  firstMaxChars: 60,
  minChars: 40,
  maxChars: 220,
};

const SENTENCE_END = new Set(['.', '!', '?', '…']);
const CLAUSE_END = new Set([',', ';', ':', '—', '–']);
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'st',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'no',
  'jr',
  'sr',
  'prof',
]);

export class ClauseSplitter {
  private buffer = '';
  private emitted = 0;

  constructor(private readonly opts: ClauseSplitterOptions = DEFAULT_CLAUSE_OPTIONS) {}

  /** Adds streamed text; returns the clauses it completed. */
  push(delta: string): string[] {
    this.buffer += delta;
    const clauses: string[] = [];
    for (;;) {
      const cut = this.findCut();
      if (cut < 0) break;
      const clause = this.buffer.slice(0, cut).trim();
      this.buffer = this.buffer.slice(cut).replace(/^\s+/, '');
      if (clause.length > 0) {
        clauses.push(clause);
        this.emitted++;
      }
    }
    return clauses;
  }

  /** The text is complete: returns the remainder, if any, as the last clause. */
  flush(): string[] {
    const rest = this.buffer.trim();
    this.buffer = '';
    if (rest.length === 0) return [];
    this.emitted++;
    return [rest];
  }

  /** Index just after the clause end in `buffer`, or -1 when no clause is complete yet. */
  private findCut(): number {
    const first = this.emitted === 0;
    const minChars = first ? this.opts.firstMinChars : this.opts.minChars;
    const maxChars = first ? this.opts.firstMaxChars : this.opts.maxChars;
    const text = this.buffer;
    // A punctuation mark ends a clause only once whitespace follows it (so "3.5" and "..." stay whole).
    for (let i = 0; i < text.length - 1; i++) {
      const ch = text[i] as string;
      if (!/\s/.test(text[i + 1] as string)) continue;
      if (SENTENCE_END.has(ch) && !this.isAbbreviation(i)) return i + 1;
      if (CLAUSE_END.has(ch) && text.slice(0, i).trim().length >= minChars) return i + 1;
    }
    if (text.length >= maxChars) {
      const space = text.lastIndexOf(' ', maxChars);
      if (space > 0) return space;
    }
    return -1;
  }

  private isAbbreviation(dotIndex: number): boolean {
    if (this.buffer[dotIndex] !== '.') return false;
    const word = /([A-Za-z.]+)$/.exec(this.buffer.slice(0, dotIndex));
    return word !== null && ABBREVIATIONS.has((word[1] as string).toLowerCase());
  }
}
