/**
 * The rules of the embedded offline responder: short, useful spoken answers without a model.
 * Pure functions of the user's words and the clock, so every rule is tested directly.
 */
export interface ReplyContext {
  now: Date;
  /** IANA time zone for times and dates, e.g. `Europe/Berlin`; default the process's. */
  timeZone?: string;
  assistantName: string;
}

interface Rule {
  test: RegExp;
  reply: (ctx: ReplyContext, text: string, match: RegExpMatchArray) => string;
}

const RULES: Rule[] = [
  {
    test: /\b(?:repeat after me|say)\s*[:,]?\s+(.+)$/i,
    reply: (_c, _t, m) => sentence(m[1]!),
  },
  {
    test: /\bwhat(?:'s| is)?\s+(.+?)\s+(plus|minus|times|multiplied by|divided by)\s+(.+?)\??$/i,
    reply: (_c, text, m) => arithmetic(m[1]!, m[2]!, m[3]!) ?? fallback(text),
  },
  {
    test: /\b(time is it|what time|the time|current time)\b/i,
    reply: (c) =>
      `It's ${new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZone: c.timeZone }).format(c.now)}.`,
  },
  {
    test: /\b(what day|which day|the date|today's date|what date|day is it|day is today)\b/i,
    reply: (c) =>
      `Today is ${new Intl.DateTimeFormat('en-US', { weekday: 'long', month: 'long', day: 'numeric', timeZone: c.timeZone }).format(c.now)}.`,
  },
  {
    test: /\b(who are you|what are you|your name|who is this|what is this)\b/i,
    reply: (c) =>
      `I'm ${c.assistantName}, a voice assistant. I'm running in offline mode without a language model, so my answers are simple.`,
  },
  {
    test: /\b(help|what can you do|how does this work)\b/i,
    reply: () =>
      'In offline mode I can tell you the time and the date, do simple sums, and repeat what you say. Connect a language model for a real conversation.',
  },
  { test: /\bhow are you\b/i, reply: () => "I'm doing well, thanks for asking. How can I help you?" },
  { test: /\b(thank you|thanks)\b/i, reply: () => "You're welcome!" },
  { test: /\b(goodbye|bye|see you|good night)\b/i, reply: () => 'Goodbye! Talk to you soon.' },
  {
    test: /^(?:well\s+|oh\s+)?(hello|hi|hey|good (?:morning|afternoon|evening)|greetings)\b/i,
    reply: (c, _t, m) =>
      `${capitalize(m[1]!)}! I'm ${c.assistantName}, running in offline mode. How can I help?`,
  },
];

const QUESTION =
  /^(what|why|how|who|where|when|which|can|could|would|will|is|are|do|does|did|should|tell me)\b/i;

export function offlineReply(userText: string, ctx: ReplyContext): string {
  const text = userText.replace(/\s+/g, ' ').trim();
  if (!/[a-z0-9]/i.test(text)) return "Sorry, I didn't catch that. Could you say it again?";
  for (const rule of RULES) {
    const match = text.match(rule.test);
    if (match) return rule.reply(ctx, text, match);
  }
  return fallback(text);
}

function fallback(text: string): string {
  const said = text.replace(/[.?!]+$/, '');
  if (QUESTION.test(text) || text.endsWith('?')) {
    return `You asked: ${said}? I'm in offline mode without a language model, so I can't answer that yet.`;
  }
  return `I heard you say: ${said}. I'm in offline mode, so I can only give simple answers.`;
}

const SMALL = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** Digits or English number words up to 999 (as speech recognisers write them). */
export function parseNumber(words: string): number | undefined {
  const w = words
    .toLowerCase()
    .replace(/-/g, ' ')
    .replace(/\band\b/g, ' ')
    .trim();
  if (/^-?\d+(\.\d+)?$/.test(w)) return Number(w);
  let total = 0;
  let seen = false;
  for (const token of w.split(/\s+/)) {
    const small = SMALL.indexOf(token);
    const tens = TENS.indexOf(token);
    if (small >= 0) total += small;
    else if (tens >= 2) total += tens * 10;
    else if (token === 'hundred' && seen) total *= 100;
    else return undefined;
    seen = true;
  }
  return seen ? total : undefined;
}

function arithmetic(a: string, op: string, b: string): string | undefined {
  const x = parseNumber(a);
  const y = parseNumber(b.replace(/[?.!]+$/, ''));
  if (x === undefined || y === undefined) return undefined;
  const o = op.toLowerCase();
  if (o === 'divided by' && y === 0) return "Dividing by zero isn't possible.";
  const result = o === 'plus' ? x + y : o === 'minus' ? x - y : o === 'divided by' ? x / y : x * y;
  const shown = Number.isInteger(result) ? String(result) : result.toFixed(2).replace(/0+$/, '');
  return `${a} ${o} ${b.replace(/[?.!]+$/, '')} is ${shown}.`;
}

function sentence(text: string): string {
  const t = text.trim().replace(/[.?!]+$/, '');
  return `${capitalize(t)}.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
