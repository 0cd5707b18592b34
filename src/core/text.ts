/**
 * Why a string cannot be stored as text, or undefined when it can: U+0000 (PostgreSQL's text
 * cannot hold it) and a lone surrogate (half of a UTF-16 pair: no Unicode character, so the
 * database would store U+FFFD, or refuse it in JSON).
 */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'Text cannot contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'Text cannot contain a lone surrogate (half of a UTF-16 pair, U+D800 to U+DFFF): it is not Unicode text';
  return undefined;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
