// The event source: @parcel/watcher (inotify backend) on the real path of the
// watch root. Its events are hints only — they can be missing, late, or name
// stale paths (parcel-watcher-linux.md §4, §6) — so this module only reports
// "something may have changed at rel" and offers the repairs the engine needs:
//
//  * patch(rel): an extra subscription rooted at a new subtree. @parcel/watcher
//    watches a new directory but never scans it, so `mkdir -p`, `cp -r` and
//    moved-in trees leave subdirectories unwatched; a subscription rooted at the
//    subtree crawls it and watches everything. The caller pushes the subtree
//    *after* patch() resolves, so nothing written in between is lost.
//  * rebuild(): a fresh main subscription, made before the old ones are
//    dropped (no window). Subscriptions share a cached tree per root string,
//    so the new one is rooted at an alias of the same directory
//    (`/proc/self/root` + path) to force a fresh crawl (§4 k).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import watcher, { type AsyncSubscription, type Event } from '@parcel/watcher';
import type { Logger } from '../log/logger.js';
import { type BytePath, display, fromText, isValidUtf8, joinPath } from '../util/bytepath.js';
import { isMangled, resolveMangled } from './mangled.js';

export type HintKind = 'create' | 'update' | 'delete';

export interface Hint {
  /** Path relative to the watch root, as bytes; '' is the root itself. */
  rel: BytePath;
  kind: HintKind;
}

export interface WatcherOptions {
  /** Real path of the watch root (valid UTF-8 text: @parcel/watcher takes strings). */
  root: string;
  /** Directories (relative, byte strings) not to watch: excluded by the filter at start-up. */
  ignoreDirs: BytePath[];
  onHints: (hints: Hint[], meta: { batchSize: number }) => void;
  /** A subscription reported a fatal error (it is dead now). */
  onError: (err: Error) => void;
  log: Logger;
}

interface Sub {
  /** Path relative to the watch root where this subscription is rooted ('' = main). */
  rel: BytePath;
  /** The directory string given to @parcel/watcher (may be an alias). */
  dir: string;
  handle: AsyncSubscription;
}

const ALIAS_PREFIX = '/proc/self/root';
/** More patch subscriptions than this are folded into a fresh main subscription. */
const MAX_PATCHES = 64;
/** An identical hint from another subscription this soon after is the same kernel event. */
const ECHO_MS = 300;
/** How many mangled (non-UTF-8) event paths to remember the real names of. */
const MANGLED_MEMORY = 10_000;

export class TreeWatcher {
  private main: Sub | null = null;
  private patches = new Map<BytePath, Sub>();
  private generation = 0;
  /** Mangled event path (as text) → the real byte paths seen behind it. */
  private readonly mangledSeen = new Map<string, Set<BytePath>>();
  private mangledChain: Promise<void> = Promise.resolve();
  private stopped = false;
  private rebuilding = false;
  /** `kind rel` → when and from which subscription it was last delivered (overlapping subscriptions). */
  private readonly recent = new Map<string, { at: number; dir: string }>();
  readonly stats = { batches: 0, events: 0, lastBatchSize: 0, rebuilds: 0, patches: 0 };

  constructor(private readonly opts: WatcherOptions) {}

  get patchCount(): number {
    return this.patches.size;
  }

  async start(): Promise<void> {
    this.main = await this.subscribe('', this.aliasFor(this.generation));
  }

  /** Extra subscription rooted at `rel` (a new directory with subdirectories). */
  async patch(rel: BytePath): Promise<void> {
    if (this.stopped || rel === '' || !isValidUtf8(rel)) return;
    // Every patch needs its own fresh crawl: an existing patch at or above rel
    // has the same blind spot for subtrees made after it (it watches a new
    // directory but never scans it). Subscriptions share a cached tree per
    // root string, so a patch at the same path as a live one is rooted at the
    // other spelling of the path (`/proc/self/root` prefix) to force a crawl.
    const old = this.patches.get(rel);
    const plain = this.opts.root + '/' + display(rel);
    const dir = old && old.dir === plain ? ALIAS_PREFIX + plain : plain;
    const sub = await this.subscribe(rel, dir);
    // The new crawl covers everything below rel: those patches can go.
    for (const [p, s] of this.patches) {
      if (p === rel || p.startsWith(rel + '/')) {
        this.patches.delete(p);
        await this.unsubscribe(s);
      }
    }
    this.patches.set(rel, sub);
    this.stats.patches++;
    // Many patches: fold them into one fresh main subscription (no window).
    if (this.patches.size > MAX_PATCHES && !this.rebuilding) {
      this.rebuilding = true;
      this.rebuild()
        .catch((e) => this.opts.log.warn(`watcher: rebuild after ${MAX_PATCHES} patches failed: ${(e as Error).message}`))
        .finally(() => (this.rebuilding = false));
    }
  }

  /** Fresh main subscription (full crawl), then drop the old one and all patches. */
  async rebuild(): Promise<void> {
    if (this.stopped) return;
    this.generation++;
    const fresh = await this.subscribe('', this.aliasFor(this.generation));
    const old = this.main;
    const oldPatches = [...this.patches.values()];
    this.main = fresh;
    this.patches.clear();
    if (old) await this.unsubscribe(old);
    for (const p of oldPatches) await this.unsubscribe(p);
    this.stats.rebuilds++;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const subs = [this.main, ...this.patches.values()].filter((s): s is Sub => s !== null);
    this.main = null;
    this.patches.clear();
    for (const s of subs) await this.unsubscribe(s);
  }

  /** Number of inotify watches this process holds (all subscriptions, from /proc). */
  static watchesInUse(): number {
    let count = 0;
    try {
      for (const fd of fs.readdirSync('/proc/self/fdinfo')) {
        let text: string;
        try {
          text = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
        } catch {
          continue;
        }
        if (!text.includes('inotify wd:')) continue;
        count += text.split('\n').filter((l) => l.startsWith('inotify wd:')).length;
      }
    } catch {
      return -1;
    }
    return count;
  }

  private aliasFor(generation: number): string {
    return generation % 2 === 0 ? this.opts.root : ALIAS_PREFIX + this.opts.root;
  }

  private async subscribe(rel: BytePath, dir: string): Promise<Sub> {
    const ignore = this.opts.ignoreDirs
      .filter((d) => rel === '' || d.startsWith(rel + '/'))
      .map((d) => dir + '/' + display(rel === '' ? d : d.slice(rel.length + 1)));
    const prefix = dir + '/';
    const relBase = rel;
    const handle = await subscribeWithRetry(
      dir,
      (err, events) => {
        // An exception here would become an uncaughtException (§2.14).
        try {
          if (err) {
            this.opts.onError(err);
            return;
          }
          this.deliver(events, prefix, dir, relBase);
        } catch (e) {
          this.opts.log.error(`watcher callback failed: ${(e as Error).message}`);
        }
      },
      ignore,
    );
    return { rel, dir, handle };
  }

  private deliver(events: Event[], prefix: string, dir: string, relBase: BytePath): void {
    this.stats.batches++;
    this.stats.events += events.length;
    this.stats.lastBatchSize = events.length;
    if (events.length === 0) return;
    const hints: Hint[] = [];
    const mangled: Array<{ relText: string; kind: HintKind }> = [];
    for (const ev of events) {
      let relText: string;
      if (ev.path === dir) relText = '';
      else if (ev.path.startsWith(prefix)) relText = ev.path.slice(prefix.length);
      else continue;
      const full = relBase === '' ? relText : relText === '' ? display(relBase) : display(relBase) + '/' + relText;
      if (isMangled(full)) {
        mangled.push({ relText: full, kind: ev.type });
        continue;
      }
      const rel = relBase === '' ? fromText(relText) : relText === '' ? relBase : joinPath(relBase, fromText(relText));
      if (this.patches.size > 0 && this.isEcho(rel, ev.type, dir)) continue;
      hints.push({ rel, kind: ev.type });
    }
    if (hints.length) this.opts.onHints(hints, { batchSize: events.length });
    // Resolved in order, one batch after another: a delete must find the
    // names that an earlier create remembered.
    if (mangled.length) {
      this.mangledChain = this.mangledChain
        .then(() => this.deliverMangled(mangled, events.length))
        .catch((e) => this.opts.log.error(`watcher: resolving non-UTF-8 names failed: ${(e as Error).message}`));
    }
  }

  private async deliverMangled(items: Array<{ relText: string; kind: HintKind }>, batchSize: number): Promise<void> {
    const hints: Hint[] = [];
    for (const item of items) {
      const { paths, goneUnder } = await resolveMangled(fromText(this.opts.root), item.relText);
      for (const p of paths) hints.push({ rel: p, kind: item.kind });
      // Real names seen earlier behind this text that are not there any more
      // (deleted, renamed away): name them, so intake deletes them remotely.
      // Listing the directory cannot find them: they are gone.
      const seen = this.mangledSeen.get(item.relText);
      let named = false;
      if (seen) {
        for (const p of seen) {
          if (paths.includes(p)) continue;
          hints.push({ rel: p, kind: 'delete' });
          seen.delete(p);
          named = true;
        }
      }
      if (paths.length) this.rememberMangled(item.relText, paths);
      // The entry is gone and its real name unknown: resync its directory,
      // whose listing rsync reads as bytes (deletes the stale remote entry).
      // (For the root itself this hint is dropped by intake: a name that was
      // never seen while running stays on the remote until a full sync.)
      if (goneUnder !== null && !named) hints.push({ rel: goneUnder, kind: 'update' });
    }
    if (hints.length) this.opts.onHints(hints, { batchSize });
  }

  private rememberMangled(text: string, paths: BytePath[]): void {
    let set = this.mangledSeen.get(text);
    if (!set) {
      set = new Set();
      this.mangledSeen.set(text, set);
      if (this.mangledSeen.size > MANGLED_MEMORY) this.mangledSeen.delete(this.mangledSeen.keys().next().value as string);
    }
    for (const p of paths) set.add(p);
  }

  /**
   * Inside a patched subtree the main subscription and the patch both watch
   * the same directories (one inotify watch, two subscriptions), so each event
   * arrives twice. The second copy, from another subscription within ECHO_MS,
   * is dropped; lstat decides on the first one, so no change is lost.
   */
  private isEcho(rel: BytePath, kind: HintKind, dir: string): boolean {
    const key = `${kind} ${rel}`;
    const now = Date.now();
    const last = this.recent.get(key);
    if (last && last.dir !== dir && now - last.at < ECHO_MS) return true;
    this.recent.set(key, { at: now, dir });
    if (this.recent.size > 50_000) {
      for (const [k, v] of this.recent) if (now - v.at >= ECHO_MS) this.recent.delete(k);
    }
    return false;
  }

  private async unsubscribe(sub: Sub): Promise<void> {
    try {
      await sub.handle.unsubscribe();
    } catch (e) {
      // Known @parcel/watcher issue #129 (EINVAL after moved-out trees): harmless.
      this.opts.log.debug(`unsubscribe ${sub.dir}: ${(e as Error).message}`);
    }
  }
}

/**
 * subscribe() fails when a directory vanishes during the crawl (§2.2); that is
 * a race, not an error: retry with backoff. A missing root or ENOSPC is final.
 */
async function subscribeWithRetry(
  dir: string,
  fn: (err: Error | null, events: Event[]) => void,
  ignore: string[],
): Promise<AsyncSubscription> {
  let delay = 20;
  for (let attempt = 0; ; attempt++) {
    try {
      return await watcher.subscribe(dir, fn, { backend: 'inotify', ignore });
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      const transient = /No such file or directory/.test(msg) && attempt < 8;
      if (!transient) throw e;
      try {
        await fsp.access(dir);
      } catch {
        throw e; // the root (or patch root) itself is gone
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
}
