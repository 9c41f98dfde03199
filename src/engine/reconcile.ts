// Reconciliation: the one repair that covers every way the watcher can lose
// events (overflow, flush race, unwatched directories, a lost root). Requests
// come from many places and often in bursts; this coalesces them into one run
// at a time, a short while after the last request, and never more often than
// `minIntervalMs` — except that a request made during a run gets one more run
// afterwards, so a change made while reconciling is never left out.
import type { Logger } from '../log/logger.js';

export interface ReconcilerOptions {
  /** Run one reconciliation (a full sync with the delete guardrail). */
  run: (reason: string) => Promise<void>;
  log: Logger;
  /** Wait this long after the last request before running (storms send many). */
  debounceMs?: number;
  /** At least this long between the starts of two runs. */
  minIntervalMs?: number;
}

export class Reconciler {
  private reasons: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastStart = 0;
  private stopped = false;
  private auditTimer: NodeJS.Timeout | null = null;
  readonly stats = { runs: 0, requests: 0, lastRunAt: 0, lastDurationMs: 0, lastReason: '' };

  constructor(private readonly o: ReconcilerOptions) {}

  request(reason: string): void {
    if (this.stopped) return;
    this.stats.requests++;
    if (!this.reasons.includes(reason)) this.reasons.push(reason);
    if (this.running) return; // picked up when the current run ends
    this.arm();
  }

  /** Run `audit` every `intervalMs` (0 = never). */
  startAudit(intervalMs: number, audit: () => Promise<void>): void {
    if (intervalMs <= 0) return;
    const tick = (): void => {
      this.auditTimer = setTimeout(() => {
        audit()
          .catch((e) => this.o.log.error(`audit failed: ${(e as Error).message}`))
          .finally(() => {
            if (!this.stopped) tick();
          });
      }, intervalMs);
      this.auditTimer.unref();
    };
    tick();
  }

  /** Resolves when no run is in progress or queued. */
  async idle(): Promise<void> {
    while (this.running || this.timer) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 20));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.auditTimer) clearTimeout(this.auditTimer);
    this.timer = null;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const debounce = this.o.debounceMs ?? 1000;
    const earliest = this.lastStart + (this.o.minIntervalMs ?? 30_000);
    const delay = Math.max(debounce, earliest - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, delay);
    this.timer.unref();
  }

  private start(): void {
    if (this.stopped || this.running) return;
    const reason = this.reasons.join('; ');
    this.reasons = [];
    this.lastStart = Date.now();
    this.stats.runs++;
    this.stats.lastRunAt = this.lastStart;
    this.stats.lastReason = reason;
    this.o.log.info(`reconciling with the remotes (${reason})`);
    this.running = this.o
      .run(reason)
      .catch((e) => this.o.log.error(`reconciliation failed: ${(e as Error).message}`))
      .finally(() => {
        this.stats.lastDurationMs = Date.now() - this.lastStart;
        this.running = null;
        if (this.reasons.length && !this.stopped) this.arm();
      });
  }
}
