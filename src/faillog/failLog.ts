// The fail log on disk: sersync2's text format (a /bin/sh script of rsync
// command lines, each after a `#errno <status>` comment), one entry per path,
// every argument single-quoted, created 0600 and never made world-writable.
import fsp from 'node:fs/promises';
import type { Config, Remote } from '../config/types.js';
import type { PushOp } from '../rsync/argv.js';
import type { RsyncResult } from '../rsync/run.js';
import { toBuffer } from '../util/bytepath.js';
import { buildFailLogCommand, formatEntry } from './format.js';

/** sersync2 logs system()'s raw wait status: exit code × 256, −1 when rsync never ran. */
export function waitStatus(result: RsyncResult | null): number {
  if (!result || result.exitCode === null) return -1;
  return result.exitCode * 256;
}

export async function appendFailures(
  config: Config,
  remote: Remote,
  ops: PushOp[],
  result: RsyncResult | null,
): Promise<void> {
  if (ops.length === 0) return;
  const status = waitStatus(result);
  const text = ops
    .map((op) => {
      const { cwd, args } = buildFailLogCommand(config, remote, op);
      return formatEntry(status, cwd, args);
    })
    .join('');
  const fh = await fsp.open(toBuffer(config.failLog.path), 'a', 0o600);
  try {
    await fh.writeFile(toBuffer(text));
  } finally {
    await fh.close();
  }
}
