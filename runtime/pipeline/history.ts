/**
 * The conversation history sent to the LLM, and how much of an agent reply the user actually heard.
 */
import type { ChatMessage } from '../engines/types.js';

export class ConversationHistory {
  private readonly messages: ChatMessage[] = [];

  constructor(
    private readonly systemPrompt: string,
    /** Oldest user/assistant messages are dropped beyond this many. */
    private readonly maxMessages = 40,
  ) {}

  add(role: 'user' | 'assistant', content: string): void {
    if (content.length === 0) return;
    this.messages.push({ role, content });
    if (this.messages.length > this.maxMessages)
      this.messages.splice(0, this.messages.length - this.maxMessages);
  }

  /** The messages for the next LLM call: system prompt first. */
  forLlm(): ChatMessage[] {
    const system: ChatMessage[] = this.systemPrompt ? [{ role: 'system', content: this.systemPrompt }] : [];
    return [...system, ...this.messages];
  }

  /** The messages without the system prompt (for tests and session stats). */
  entries(): readonly ChatMessage[] {
    return this.messages;
  }
}

export interface SpokenClause {
  text: string;
  /** Samples of the clause's audio; undefined while its synthesis is still running. */
  totalSamples: number | undefined;
  playedSamples: number;
}

/**
 * The text the user heard: whole clauses played, plus the played share of the clause that was cut,
 * rounded down to a word boundary.
 */
export function heardText(clauses: readonly SpokenClause[]): string {
  const parts: string[] = [];
  for (const clause of clauses) {
    if (clause.playedSamples <= 0) break;
    const total = clause.totalSamples;
    if (total !== undefined && clause.playedSamples >= total) {
      parts.push(clause.text);
      continue;
    }
    // Audio of an unfinished synthesis has no known length: assume the clause is at least this long.
    const share = total === undefined || total === 0 ? 0 : clause.playedSamples / total;
    const cut = Math.floor(clause.text.length * share);
    const prefix = clause.text.slice(0, cut);
    const wordEnd =
      clause.text[cut] === undefined || /\s/.test(clause.text[cut] as string) ? cut : prefix.lastIndexOf(' ');
    const words = clause.text.slice(0, Math.max(0, wordEnd)).trim();
    if (words.length > 0) parts.push(words);
    break;
  }
  return parts.join(' ');
}
