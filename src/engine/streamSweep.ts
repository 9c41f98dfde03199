// The flush race (parcel-watcher-linux §2.7): @parcel/watcher reads its
// pending events and clears them under two separate locks, so an event that
// arrives in between is thrown away. It only bites at a batch boundary while
// events keep coming, i.e. in a sustained stream (batches < ~500 ms apart).
// Measured: 1–62 of 20,000 creates in an already-watched directory lost.
//
// The repair: remember the directories that had events during a stream and,
// once the stream has been quiet for a moment, push them again (recursive,
// with --delete: rsync's quick check makes it cheap). Isolated events (one
// batch, no stream) cannot have been cut off this way and are not swept.
import { type BytePath, parentOf } from '../util/bytepath.js';

export interface StreamSweepOptions {
  /** Batches closer than this belong to one stream (@parcel/watcher forces a flush every 500 ms). */
  streamGapMs?: number;
  /** Sweep this long after the last batch of a stream. */
  quietMs?: number;
  /** More directories than this: sweep the root instead (one reconciliation). */
  maxDirs?: number;
  onSweep: (dirs: BytePath[]) => void;
}

export class StreamSweep {
  private dirs = new Set<BytePath>();
  private lastBatchAt = 0;
  private batches = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: StreamSweepOptions) {}

  /** A batch of hints arrived (paths relative to the root). */
  note(rels: readonly BytePath[], now = Date.now()): void {
    const inStream = now - this.lastBatchAt < (this.o.streamGapMs ?? 600);
    this.batches = inStream ? this.batches + 1 : 1;
    this.lastBatchAt = now;
    const max = this.o.maxDirs ?? 10_000;
    for (const rel of rels) {
      if (this.dirs.size > max) break;
      this.dirs.add(parentOf(rel));
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.o.quietMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private fire(): void {
    this.timer = null;
    const dirs = [...this.dirs];
    const wasStream = this.batches >= 2;
    this.dirs.clear();
    this.batches = 0;
    if (!wasStream || dirs.length === 0) return;
    this.o.onSweep(dirs.length > (this.o.maxDirs ?? 10_000) ? [''] : dirs);
  }
}
