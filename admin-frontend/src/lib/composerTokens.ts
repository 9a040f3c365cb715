// The word being typed at the caret, when it starts a saved-reply (/) or mention (@) lookup.

export interface Token {
  kind: '/' | '@';
  /** What follows the / or @ so far. */
  query: string;
  /** Where the / or @ is in the text. */
  start: number;
  /** The caret. */
  end: number;
}

const TOKEN = /(?:^|\s)([/@])([\w.-]*)$/;

export function tokenAt(text: string, caret: number): Token | null {
  const match = TOKEN.exec(text.slice(0, caret));
  if (!match) return null;
  const query = match[2] ?? '';
  return { kind: match[1] as '/' | '@', query, start: caret - query.length - 1, end: caret };
}

/** `text` with the token replaced by `insert`, and where the caret goes after it. */
export function replaceToken(text: string, token: Token, insert: string): { text: string; caret: number } {
  const next = text.slice(0, token.start) + insert + text.slice(token.end);
  return { text: next, caret: token.start + insert.length };
}

/** The teammates still named (`@Name`) in the text of a note. */
export function mentionedIds(text: string, named: Map<number, string>): number[] {
  return [...named].filter(([, name]) => text.includes(`@${name}`)).map(([id]) => id);
}
