// A low-latency hint source for the few directories where files are being
// written right now. @parcel/watcher delivers an event 50 ms after the last one
// whenever its previous delivery was less than 500 ms ago (its debounce,
// parcel-watcher-linux §2.6): a file written every 100 ms is always reported
// 50 ms late, which is most of a one-file push to a loopback daemon.
//
// A directory in which a file op was just taken in becomes "hot": it gets a
// plain inotify watch of its own through fs.watch (libuv, no debounce: events
// come on the next turn of the event loop). Hints from it are only for paths
// that exist as regular files when looked at (so a watch that followed its
// directory to a new name, or a delete, cannot cause anything but a push of a
// file that exists); everything else — directories, deletes, renames — still
// comes from @parcel/watcher, and its later hint for the same file is dropped
// by the intake as a repeat. Bounded: at most `max` hot directories, each
// cold again after `idleMs` without activity or when it gets busier than
// `maxEventsPerSec` (a burst: @parcel/watcher's batches are the better tool
// there). These watches live in libuv's own inotify instance and count
// against max_user_watches like any other (at most `max` of them); whoever
// counts the process's watches to find unwatched directories must clear()
// first (Engine.checkWatchCoverage does).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { Logger } from '../log/logger.js';
import { type BytePath, fromBuffer, joinPath, toBuffer } from '../util/bytepath.js';
import type { Hint } from './watcher.js';

export interface HotDirsOptions {
  /** The watch root W (absolute, bytes). */
  root: BytePath;
  onHints: (hints: Hint[]) => void;
  log: Logger;
  /** Hot directories at most (the least recently active goes cold first). */
  max?: number;
  /** Cold again after this long without a file op in it. */
  idleMs?: number;
  /** Cold when it gets more events than this per second (and stays cold for coolMs). */
  maxEventsPerSec?: number;
  coolMs?: number;
}

interface Hot {
  watcher: fs.FSWatcher;
  lastActive: number;
  windowStart: number;
  events: number;
}

export class HotDirs {
  private readonly hot = new Map<BytePath, Hot>();
  private readonly coolUntil = new Map<BytePath, number>();
  private pending = new Set<BytePath>();
  private flushScheduled = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly stats = { watched: 0, hints: 0, cooled: 0 };

  constructor(private readonly o: HotDirsOptions) {}

  private get max(): number {
    return this.o.max ?? 64;
  }

  /** A file op was taken in below `dir` (relative, '' = the root): keep it hot. */
  touch(dir: BytePath, now = Date.now()): void {
    if (this.stopped) return;
    const h = this.hot.get(dir);
    if (h) {
      h.lastActive = now;
      return;
    }
    const cool = this.coolUntil.get(dir);
    if (cool !== undefined) {
      if (now < cool) return;
      this.coolUntil.delete(dir);
    }
    if (this.hot.size >= this.max) this.dropOldest();
    let watcher: fs.FSWatcher;
    try {
      watcher = fs.watch(toBuffer(joinPath(this.o.root, dir)), { encoding: 'buffer', persistent: false });
    } catch (e) {
      // Gone meanwhile, or no watch left: @parcel/watcher still reports it.
      this.o.log.debug(`hot directory ${JSON.stringify(dir)}: ${(e as Error).message}`);
      return;
    }
    const entry: Hot = { watcher, lastActive: now, windowStart: now, events: 0 };
    watcher.on('change', (_type, name) => this.onEvent(dir, entry, name as unknown as Buffer | null));
    watcher.on('error', () => this.drop(dir)); // the directory went away
    this.hot.set(dir, entry);
    this.stats.watched++;
    if (!this.sweepTimer) {
      this.sweepTimer = setInterval(() => this.dropIdle(), Math.max(1000, (this.o.idleMs ?? 30_000) / 2));
      this.sweepTimer.unref();
    }
  }

  /** Forget every hot directory (the tree was rebuilt, or the root was lost). */
  clear(): void {
    for (const dir of [...this.hot.keys()]) this.drop(dir);
    this.pending.clear();
  }

  stop(): void {
    this.stopped = true;
    this.clear();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  get size(): number {
    return this.hot.size;
  }

  private onEvent(dir: BytePath, h: Hot, name: Buffer | null): void {
    if (this.stopped || !name || name.length === 0) return;
    const now = Date.now();
    if (now - h.windowStart >= 1000) {
      h.windowStart = now;
      h.events = 0;
    }
    if (++h.events > (this.o.maxEventsPerSec ?? 50)) {
      this.drop(dir);
      this.coolUntil.set(dir, now + (this.o.coolMs ?? 10_000));
      this.stats.cooled++;
      return;
    }
    this.pending.add(joinPath(dir, fromBuffer(name)));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const rels = [...this.pending];
    this.pending = new Set();
    const stats = await Promise.all(
      rels.map((rel) => fsp.lstat(toBuffer(joinPath(this.o.root, rel))).catch(() => null)),
    );
    const hints: Hint[] = [];
    rels.forEach((rel, i) => {
      if (stats[i]?.isFile()) hints.push({ rel, kind: 'update' });
    });
    if (hints.length && !this.stopped) {
      this.stats.hints += hints.length;
      this.o.onHints(hints);
    }
  }

  private drop(dir: BytePath): void {
    const h = this.hot.get(dir);
    if (!h) return;
    this.hot.delete(dir);
    try {
      h.watcher.close();
    } catch {
      /* already closed */
    }
  }

  private dropOldest(): void {
    let oldest: BytePath | null = null;
    let at = Infinity;
    for (const [dir, h] of this.hot) {
      if (h.lastActive < at) {
        at = h.lastActive;
        oldest = dir;
      }
    }
    if (oldest !== null) this.drop(oldest);
  }

  private dropIdle(now = Date.now()): void {
    const idle = this.o.idleMs ?? 30_000;
    for (const [dir, h] of [...this.hot]) if (now - h.lastActive >= idle) this.drop(dir);
    for (const [dir, until] of [...this.coolUntil]) if (now >= until) this.coolUntil.delete(dir);
  }
}
