// Paths inside sersync-ts are "byte strings": JS strings in which every char
// code is one byte (0–255) of the raw file name, i.e. latin1-decoded bytes.
// This keeps names that are not valid UTF-8 exact, and makes the exclude
// regexes match bytes the way sersync2's boost::regex does (spec §3.5, §9.23).
// Convert at the edges only: Buffer for fs calls and rsync's --files-from,
// UTF-8 text for logs and argv.

/** A path or name as raw bytes, one char per byte. */
export type BytePath = string;

/** Raw bytes → byte string. */
export function fromBuffer(buf: Buffer): BytePath {
  return buf.toString('latin1');
}

/** Byte string → raw bytes (for fs calls and files-from lists). */
export function toBuffer(p: BytePath): Buffer {
  return Buffer.from(p, 'latin1');
}

/** A normal (UTF-16) JS string, as Node gives us, → byte string of its UTF-8 encoding. */
export function fromText(s: string): BytePath {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** True when the bytes are valid UTF-8 (so they round-trip through a JS string / argv). */
export function isValidUtf8(p: BytePath): boolean {
  const buf = toBuffer(p);
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/** Byte string → text for humans (logs, messages). Invalid bytes show as U+FFFD. */
export function display(p: BytePath): string {
  return toBuffer(p).toString('utf8');
}

/**
 * Byte string → a JS string usable as one argv element. Node encodes argv as
 * UTF-8, so only valid UTF-8 names can be passed this way; callers must use
 * --files-from for the others. Throws if the bytes are not valid UTF-8.
 */
export function toArg(p: BytePath): string {
  if (!isValidUtf8(p)) throw new Error(`not valid UTF-8, cannot be an argv element: ${display(p)}`);
  return toBuffer(p).toString('utf8');
}

/** Join two byte-string path parts with one '/'. */
export function joinPath(dir: BytePath, name: BytePath): BytePath {
  if (dir === '' || dir === '.') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** Parent of a relative path ('' for a top-level entry). */
export function parentOf(rel: BytePath): BytePath {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** Last component of a path. */
export function baseName(rel: BytePath): BytePath {
  const i = rel.lastIndexOf('/');
  return i < 0 ? rel : rel.slice(i + 1);
}

/** True when `rel` equals `dir` or lies below it. */
export function isSameOrBelow(rel: BytePath, dir: BytePath): boolean {
  if (dir === '') return true;
  return rel === dir || rel.startsWith(dir + '/');
}
