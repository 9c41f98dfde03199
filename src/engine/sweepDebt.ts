// Repairs the watcher still owes, as one durable yes/no. During an event
// stream @parcel/watcher can drop events (the flush race, streamSweep.ts); the
// sweep after the stream repairs them, and a sweep of the root is a
// reconciliation. If the process stops or dies before that repair ran, the
// next start must make up for it (a reconciliation), or a file written in the
// stream may never reach the remote. The journal keeps the yes/no on disk.
//
// Several debts can be open at once, each paid its own way:
//   'stream'     a stream is running; paid by its sweep (pushes queued, hence journaled)
//   'reconcile'  a sweep asked for a reconciliation; paid by a full sync that
//                started after the request and reached every remote
//   'inherited'  the previous run stopped owing; paid like 'reconcile'
// Pure bookkeeping: the caller passes `now` and persists `owed` via onChange.

export type DebtSource = 'stream' | 'reconcile' | 'inherited';

export class SweepDebt {
  /** Open debts and when each was incurred. */
  private readonly open = new Map<DebtSource, number>();

  constructor(private readonly onChange: (owed: boolean) => void = () => {}) {}

  get owed(): boolean {
    return this.open.size > 0;
  }

  owe(source: DebtSource, now: number): void {
    const was = this.owed;
    if (!this.open.has(source)) this.open.set(source, now);
    if (!was) this.onChange(true);
  }

  pay(source: DebtSource): void {
    if (!this.open.delete(source)) return;
    if (!this.owed) this.onChange(false);
  }

  /**
   * A full sync that started at `startedAt` reached every remote: it covers
   * whatever a reconciliation requested before then would have repaired.
   */
  paidByFullSync(startedAt: number): void {
    for (const source of ['reconcile', 'inherited'] as const) {
      const at = this.open.get(source);
      if (at !== undefined && at <= startedAt) this.pay(source);
    }
  }
}
