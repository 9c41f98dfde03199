// Quoting config values for one-line messages: the bytes shown as UTF-8 text
// in double quotes, backslashes as written (regexes stay readable), control
// characters escaped so that the message stays on one line.
import { display } from '../util/bytepath.js';

export function quoteValue(s: string): string {
  return '"' + display(s).replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1)) + '"';
}
