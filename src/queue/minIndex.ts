// A priority queue of (key, seq) items, smallest key first, ties in insertion
// order. Items pushed with a key not smaller than the last FIFO item go to a
// plain FIFO array in O(1) (the usual case: `now + quietMs` or `now` never
// decreases); the rest go to a binary heap. No deletion: callers drop stale
// items lazily when they reach the top.

export interface IndexItem<T> {
  key: number;
  /** Strictly increasing per index; breaks ties and identifies the item. */
  seq: number;
  value: T;
}

function less<T>(a: IndexItem<T>, b: IndexItem<T>): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}

export class MinIndex<T> {
  private fifo: IndexItem<T>[] = [];
  private head = 0;
  private heap: IndexItem<T>[] = [];
  private nextSeq = 1;

  /** Number of items held, stale ones included. */
  get length(): number {
    return this.fifo.length - this.head + this.heap.length;
  }

  push(key: number, value: T): IndexItem<T> {
    const item: IndexItem<T> = { key, seq: this.nextSeq++, value };
    const last = this.fifo.length > this.head ? this.fifo[this.fifo.length - 1] : undefined;
    if (last === undefined || !less(item, last)) this.fifo.push(item);
    else this.heapPush(item);
    return item;
  }

  peek(): IndexItem<T> | undefined {
    const f = this.fifo.length > this.head ? this.fifo[this.head] : undefined;
    const h = this.heap.length > 0 ? this.heap[0] : undefined;
    if (f === undefined) return h;
    if (h === undefined) return f;
    return less(h, f) ? h : f;
  }

  pop(): IndexItem<T> | undefined {
    const top = this.peek();
    if (top === undefined) return undefined;
    if (this.fifo.length > this.head && this.fifo[this.head] === top) {
      this.head++;
      if (this.head === this.fifo.length) {
        this.fifo = [];
        this.head = 0;
      } else if (this.head > 1024 && this.head * 2 > this.fifo.length) {
        this.fifo = this.fifo.slice(this.head);
        this.head = 0;
      }
    } else {
      this.heapPop();
    }
    return top;
  }

  clear(): void {
    this.fifo = [];
    this.head = 0;
    this.heap = [];
  }

  private heapPush(item: IndexItem<T>): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private heapPop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
