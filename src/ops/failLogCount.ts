// How many entries wait in the fail log, in total and per remote (for
// --status and the metrics). Cached on (size, mtime): a scrape every few
// seconds must not re-read a large fail log that did not change.
import fs from 'node:fs';
import type { Config, Remote } from '../config/types.js';
import { isParsed, parseFailLog } from '../faillog/format.js';
import { remoteTarget } from '../rsync/argv.js';
import { type BytePath, fromBuffer, toBuffer } from '../util/bytepath.js';

export interface FailLogCount {
  total: number;
  /** Per remote, in config order. Entries naming no known remote count only in total. */
  perRemote: number[];
}

/** Pure: count the entries of a fail-log text (byte string). */
export function countFailLogEntries(text: BytePath, config: Config): FailLogCount {
  const targets = config.remotes.map((r: Remote) => {
    const withUser = remoteTarget(config, r);
    const bare = `${r.ip}${config.rsync.ssh ? ':' : '::'}${r.name}`;
    return new Set([withUser, bare]);
  });
  const perRemote = config.remotes.map(() => 0);
  let total = 0;
  for (const e of parseFailLog(text)) {
    total++;
    if (!isParsed(e)) continue;
    const i = targets.findIndex((t) => e.args.some((a) => t.has(a) || [...t].some((x) => a.endsWith(`@${x}`))));
    if (i >= 0) perRemote[i]++;
  }
  return { total, perRemote };
}

export class FailLogCounter {
  private cacheKey = '';
  private cached: FailLogCount;

  constructor(private readonly config: Config) {
    this.cached = { total: 0, perRemote: config.remotes.map(() => 0) };
  }

  /** Current counts; a missing fail log means nothing is waiting. */
  count(): FailLogCount {
    const file = toBuffer(this.config.failLog.path);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      this.cacheKey = '';
      this.cached = { total: 0, perRemote: this.config.remotes.map(() => 0) };
      return this.cached;
    }
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (key !== this.cacheKey) {
      try {
        this.cached = countFailLogEntries(fromBuffer(fs.readFileSync(file)), this.config);
        this.cacheKey = key;
      } catch {
        // unreadable right now: keep the last answer
      }
    }
    return this.cached;
  }
}
