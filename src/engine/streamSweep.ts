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
//
// A sweep that is due is a debt: when the process stops (or dies) mid-stream
// the sweep never runs. `onStreamStart` lets the caller record the debt on
// disk (the journal), `onSweep` pays it, and `takeOwed()` hands it over at a
// graceful stop.
import { type BytePath, parentOf } from '../util/bytepath.js';

export interface StreamSweepOptions {
  /** Batches closer than this belong to one stream (@parcel/watcher forces a flush every 500 ms). */
  streamGapMs?: number;
  /** Sweep this long after the last batch of a stream. */
  quietMs?: number;
  /** More directories than this: sweep the root instead (one reconciliation). */
  maxDirs?: number;
  onSweep: (dirs: BytePath[]) => void;
  /** A stream began (its second batch arrived): a sweep is owed from now on. */
  onStreamStart?: () => void;
}

/** The sweep a stream still owes (takeOwed()). */
export interface OwedSweep {
  /** Directories to push again; '' (the root) means a reconciliation. */
  dirs: BytePath[];
}

export class StreamSweep {
  private dirs = new Set<BytePath>();
  private lastBatchAt = 0;
  private batches = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: StreamSweepOptions) {}

  /** A stream is running (its sweep is not due yet). */
  get streaming(): boolean {
    return this.batches >= 2;
  }

  /** A batch of hints arrived (paths relative to the root). */
  note(rels: readonly BytePath[], now = Date.now()): void {
    const inStream = now - this.lastBatchAt < (this.o.streamGapMs ?? 600);
    this.batches = inStream ? this.batches + 1 : 1;
    this.lastBatchAt = now;
    if (this.batches === 2) this.o.onStreamStart?.();
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

  /**
   * Stop, and return the sweep still owed (a stream whose sweep has not run
   * yet), or null. Nothing fires afterwards.
   */
  takeOwed(): OwedSweep | null {
    this.stop();
    const owed = this.drain();
    return owed && { dirs: owed };
  }

  private fire(): void {
    this.timer = null;
    const dirs = this.drain();
    if (dirs) this.o.onSweep(dirs);
  }

  private drain(): BytePath[] | null {
    const dirs = [...this.dirs];
    const wasStream = this.batches >= 2;
    this.dirs.clear();
    this.batches = 0;
    if (!wasStream || dirs.length === 0) return null;
    return dirs.length > (this.o.maxDirs ?? 10_000) ? [''] : dirs;
  }
}
