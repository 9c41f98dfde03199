// "The path is gone locally, so delete it on the remote" is only safe when the
// watch root is really the data. At boot, before its file system is mounted,
// W is an empty directory: every replayed or journaled path then *looks*
// gone, and turning that into remote deletes would wipe the mirror's copies.
// So while W is empty, a path that failed to sync and is missing now is not
// deleted remotely; it waits (a delete recorded as a delete is exempt: that
// was a real delete event). The journal also checks W's device and inode.
import fsp from 'node:fs/promises';
import { type BytePath, toBuffer } from '../util/bytepath.js';

/** Is the watch root an existing directory with at least one entry? */
export async function rootHasEntries(root: BytePath): Promise<boolean> {
  try {
    const dir = await fsp.opendir(toBuffer(root) as unknown as string, { bufferSize: 1 });
    try {
      return (await dir.read()) !== null;
    } finally {
      await dir.close().catch(() => {});
    }
  } catch {
    return false;
  }
}
