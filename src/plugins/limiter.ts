// A small bounded work runner for plugins: at most `concurrency` tasks run at
// once, at most `maxQueued` wait; anything beyond that is dropped (and
// counted by the caller). Plugins must never block or slow the push pipeline,
// so submit() never waits: it either takes the task or refuses it.

export interface LimiterOptions {
  concurrency: number;
  maxQueued: number;
}

export class Limiter {
  private running = 0;
  private readonly queue: Array<() => Promise<void>> = [];
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly o: LimiterOptions) {
    if (!(o.concurrency >= 1)) throw new Error(`concurrency must be ≥ 1 (got ${o.concurrency})`);
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Take a task; false when it was refused (queue full or closed). Never throws, never waits. */
  submit(task: () => Promise<void>): boolean {
    if (this.closed) return false;
    if (this.running < this.o.concurrency) {
      this.start(task);
      return true;
    }
    if (this.queue.length >= this.o.maxQueued) return false;
    this.queue.push(task);
    return true;
  }

  /** Refuse new tasks; with `dropQueued`, also forget the ones not started yet (returns how many). */
  close(dropQueued: boolean): number {
    this.closed = true;
    if (!dropQueued) return 0;
    const n = this.queue.length;
    this.queue.length = 0;
    this.notifyIfIdle();
    return n;
  }

  /** Resolves when nothing runs and nothing waits, or after `timeoutMs` (then false). */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }

  private start(task: () => Promise<void>): void {
    this.running++;
    let p: Promise<void>;
    try {
      p = task();
    } catch {
      p = Promise.resolve();
    }
    p.catch(() => {}).finally(() => {
      this.running--;
      const next = this.queue.shift();
      if (next) this.start(next);
      else this.notifyIfIdle();
    });
  }

  private notifyIfIdle(): void {
    if (this.running !== 0 || this.queue.length !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
