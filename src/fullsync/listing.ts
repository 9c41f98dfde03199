// Tree listings made by rsync itself, parsed byte-exactly.
//
// A full sync with the main filter needs to know what exists on each side
// (spec §5.5 + "How sersync-ts should treat this": sersync-ts lists and
// filters itself). rsync lists a tree when asked for a dry run into an empty
// directory: every entry is "new", so every entry is printed by
// `--out-format='%i %n'`. The same command shape lists the remote side
// (pull from the target) and the local side (W), and it applies the crontab
// filter's `--exclude=` globs with rsync's own semantics (an excluded
// directory is not descended into), which a hand-written glob matcher would
// only approximate.
//
// Output format (rsync 3.x, checked with 3.5.0): one line per entry,
//   `>f+++++++++ dir/name`      regular file
//   `cd+++++++++ dir/`          directory (trailing slash)
//   `cL+++++++++ link`          symlink (%n is the name only, no ` -> target`)
//   `cD…`, `cS…`                device, special file (fifo, socket)
// The itemize field is 11 characters, then one space, then the name.
// With `-8` high-bit bytes are printed raw; control characters (newline…) are
// always escaped as `\#ooo` (3 octal digits), and a literal backslash is
// escaped too when it is followed by `#` and 3 digits, so decoding every
// `\#ooo` gives the exact bytes back. Lines are read as latin1 (one char per
// byte) so names stay byte strings (BytePath).
import type { BytePath } from '../util/bytepath.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'device' | 'special';

/** rel (no leading './', no trailing '/') → type. */
export type Listing = Map<BytePath, EntryType>;

export interface ParsedListing {
  entries: Listing;
  /** Output lines that were not listing lines (rsync chatter from commonParams like -v). */
  ignoredLines: number;
}

const TYPE_BY_CHAR: Record<string, EntryType> = { f: 'file', d: 'dir', L: 'symlink', D: 'device', S: 'special' };

/** One listing line: update type [<>ch.*], file type [fdLDS], 9 attribute chars, a space, the name. */
const LINE = /^[<>ch.*]([fdLDS]).{9} ([^]*)$/;

/** Undo rsync's `\#ooo` escapes (latin1 string in, byte string out). */
export function decodeRsyncEscapes(s: string): BytePath {
  if (!s.includes('\\#')) return s;
  return s.replace(/\\#([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(Number.parseInt(oct, 8) & 0xff));
}

/** Normalise an rsync name: strip one leading './' and the directory slash. '' for the root. */
function normalise(name: BytePath): BytePath {
  let n = name;
  if (n.startsWith('./')) n = n.slice(2);
  if (n.endsWith('/')) n = n.slice(0, -1);
  if (n === '.') n = '';
  return n;
}

/** Parse the stdout of a `--out-format='%i %n'` dry run (raw bytes). The root itself is left out. */
export function parseListing(out: Buffer | string): ParsedListing {
  const text = typeof out === 'string' ? out : out.toString('latin1');
  const entries: Listing = new Map();
  let ignoredLines = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) {
      ignoredLines++;
      continue;
    }
    const rel = normalise(decodeRsyncEscapes(m[2]!));
    if (rel === '') continue;
    entries.set(rel, TYPE_BY_CHAR[m[1]!]!);
  }
  return { entries, ignoredLines };
}
