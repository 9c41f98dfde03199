// @parcel/watcher decodes event paths as UTF-8, so bytes that are not valid
// UTF-8 arrive as U+FFFD and the path cannot be opened (parcel-watcher-linux
// §6.8). We recover the real names by listing each affected parent directory
// as raw bytes and keeping the entries whose lossy decoding matches.
import fsp from 'node:fs/promises';
import { type BytePath, fromBuffer, fromText, joinPath, toBuffer } from '../util/bytepath.js';

export const REPLACEMENT_CHAR = '\uFFFD';

export function isMangled(relText: string): boolean {
  return relText.includes(REPLACEMENT_CHAR);
}

/**
 * Resolve a relative path (as text from the watcher) whose components may be
 * mangled into every real byte path it could stand for. When a mangled
 * component matches nothing (the entry is gone), the deepest real ancestor is
 * returned with `gone: true`, so the caller can resync that directory.
 */
export async function resolveMangled(
  rootAbs: BytePath,
  relText: string,
): Promise<{ paths: BytePath[]; goneUnder: BytePath | null }> {
  const parts = relText.split('/');
  let prefixes: BytePath[] = [''];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const next: BytePath[] = [];
    for (const prefix of prefixes) {
      if (!isMangled(part)) {
        next.push(joinPath(prefix, fromText(part)));
        continue;
      }
      let names: Buffer[] = [];
      try {
        names = await fsp.readdir(toBuffer(joinPath(rootAbs, prefix)), { encoding: 'buffer' });
      } catch {
        names = [];
      }
      for (const name of names) {
        if (name.toString('utf8') === part) next.push(joinPath(prefix, fromBuffer(name)));
      }
    }
    if (next.length === 0) return { paths: [], goneUnder: prefixes[0] ?? '' };
    prefixes = next;
  }
  return { paths: prefixes, goneUnder: null };
}
