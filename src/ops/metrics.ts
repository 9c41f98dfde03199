// Prometheus metrics (prom-client), opt-in with `--metrics ADDR`.
//
// Everything is derived from the same status document as `--status` at scrape
// time (the engine keeps cumulative counts per remote), so the engine needs no
// extra hooks and a scrape costs one engine.status() call. Counters advance by
// the difference to the previous scrape.
//
// Not exported: bytes. rsync's transfer statistics are not parsed (the
// per-file/batched calls run without --stats), so a byte counter would be a
// guess; files_total counts the paths delivered instead.
import http from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StatusDocument } from './statusDoc.js';

export const METRIC_PREFIX = 'sersync_';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `127.0.0.1:9108`, `[::1]:9108`, `0.0.0.0:9108`, `:9108` (all interfaces, as
 * Prometheus exporters read it) or a bare port `9108` (loopback only).
 * Returns an error message for anything else.
 */
export function parseListenAddress(s: string): ListenAddress | { error: string } {
  const bad = { error: `--metrics ${JSON.stringify(s)}: give HOST:PORT, e.g. 127.0.0.1:9108` };
  let host: string;
  let portText: string;
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(s);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else if (/^\d+$/.test(s)) {
    host = '127.0.0.1';
    portText = s;
  } else {
    const i = s.lastIndexOf(':');
    if (i < 0) return bad;
    host = s.slice(0, i);
    portText = s.slice(i + 1);
    if (host.includes(':')) return { error: `--metrics ${JSON.stringify(s)}: write an IPv6 address in brackets, e.g. [::1]:9108` };
    if (host === '') host = '0.0.0.0';
    if (!/^[A-Za-z0-9.-]+$/.test(host)) return bad;
  }
  if (!/^\d+$/.test(portText)) return bad;
  const port = Number(portText);
  if (port < 1 || port > 65535) return { error: `--metrics ${JSON.stringify(s)}: the port must be between 1 and 65535` };
  return { host, port };
}

export class Metrics {
  readonly registry = new Registry();
  private readonly last = new Map<string, number>();
  private readonly events: Counter;
  private readonly pushes: Counter<'remote' | 'result'>;
  private readonly files: Counter<'remote'>;
  private readonly failures: Counter<'remote'>;
  private readonly retries: Counter<'remote'>;
  private readonly pending: Gauge<'remote'>;
  private readonly inFlight: Gauge<'remote'>;
  private readonly lag: Gauge<'remote'>;
  private readonly up: Gauge<'remote'>;
  private readonly lastSuccess: Gauge<'remote'>;
  private readonly failLog: Gauge<'remote'>;
  private readonly watches: Gauge;
  private readonly watchLimit: Gauge;
  private readonly watching: Gauge;
  private readonly fullSync: Histogram<'remote'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const p = METRIC_PREFIX;
    const registers = [this.registry];
    this.events = new Counter({ name: `${p}events_total`, help: 'File-system events received from the watcher', registers });
    this.pushes = new Counter({
      name: `${p}pushes_total`,
      help: 'rsync calls per remote, by result (ok, failed)',
      labelNames: ['remote', 'result'],
      registers,
    });
    this.files = new Counter({ name: `${p}files_total`, help: 'Paths delivered to the remote', labelNames: ['remote'], registers });
    this.failures = new Counter({ name: `${p}failures_total`, help: 'Failed rsync calls', labelNames: ['remote'], registers });
    this.retries = new Counter({ name: `${p}retries_total`, help: 'Immediate retries after a first failure', labelNames: ['remote'], registers });
    this.pending = new Gauge({ name: `${p}pending_paths`, help: 'Paths waiting to be pushed', labelNames: ['remote'], registers });
    this.inFlight = new Gauge({ name: `${p}in_flight_paths`, help: 'Paths in running rsync calls', labelNames: ['remote'], registers });
    this.lag = new Gauge({
      name: `${p}replication_lag_seconds`,
      help: 'Age of the oldest change not yet on the remote (0 when in sync)',
      labelNames: ['remote'],
      registers,
    });
    this.up = new Gauge({ name: `${p}remote_up`, help: '1 when the last push to the remote worked, 0 while it fails', labelNames: ['remote'], registers });
    this.lastSuccess = new Gauge({
      name: `${p}last_success_timestamp_seconds`,
      help: 'Unix time of the last successful push (0 = never)',
      labelNames: ['remote'],
      registers,
    });
    this.failLog = new Gauge({ name: `${p}faillog_entries`, help: 'Fail-log entries waiting for replay', labelNames: ['remote'], registers });
    this.watches = new Gauge({ name: `${p}watches`, help: 'inotify watches held by this process', registers });
    this.watchLimit = new Gauge({ name: `${p}watches_limit`, help: 'fs.inotify.max_user_watches (per user)', registers });
    this.watching = new Gauge({ name: `${p}watching`, help: '1 while the watch root is watched', registers });
    this.fullSync = new Histogram({
      name: `${p}full_sync_duration_seconds`,
      help: 'Duration of full syncs (-r, crontab, reconciliations)',
      labelNames: ['remote'],
      buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600],
      registers,
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });
  }

  /** Advance a counter to a cumulative value. */
  private advance(c: Counter<string>, labels: Record<string, string>, total: number): void {
    const key = `${(c as unknown as { name: string }).name}${JSON.stringify(labels)}`;
    const prev = this.last.get(key);
    const delta = prev === undefined || total < prev ? total : total - prev;
    this.last.set(key, total);
    c.inc(labels, delta); // inc by 0 makes the series visible before anything happened
  }

  update(doc: StatusDocument): void {
    this.advance(this.events, {}, doc.events);
    for (const r of doc.remotes) {
      const remote = r.remote;
      this.advance(this.pushes, { remote, result: 'ok' }, Math.max(0, r.pushes - r.failures));
      this.advance(this.pushes, { remote, result: 'failed' }, r.failures);
      this.advance(this.files, { remote }, r.files);
      this.advance(this.failures, { remote }, r.failures);
      this.advance(this.retries, { remote }, r.retries);
      this.pending.set({ remote }, r.pending);
      this.inFlight.set({ remote }, r.inFlight);
      this.lag.set({ remote }, r.oldestPendingMs === null ? 0 : r.oldestPendingMs / 1000);
      this.up.set({ remote }, r.down ? 0 : 1);
      this.lastSuccess.set({ remote }, r.lastSuccessAt === null ? 0 : r.lastSuccessAt / 1000);
      this.failLog.set({ remote }, r.failLogEntries);
    }
    if (doc.watches.inUse >= 0) this.watches.set(doc.watches.inUse);
    if (doc.watches.limit !== null) this.watchLimit.set(doc.watches.limit);
    this.watching.set(doc.watching ? 1 : 0);
  }

  /** A full sync to `remote` took `seconds`. */
  observeFullSync(remote: string, seconds: number): void {
    this.fullSync.observe({ remote }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface MetricsServer {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** Serves GET /metrics on `addr`, refreshing from `snapshot()` at each scrape. */
export async function startMetricsServer(
  addr: ListenAddress,
  metrics: Metrics,
  snapshot: () => StatusDocument | Promise<StatusDocument>,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (url !== '/metrics') {
      res.writeHead(url === '/' ? 200 : 404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(url === '/' ? 'sersync-ts: metrics at /metrics\n' : 'not found; metrics are at /metrics\n');
      return;
    }
    Promise.resolve()
      .then(snapshot)
      .then((doc) => {
        metrics.update(doc);
        return metrics.text();
      })
      .then(
        (body) => {
          res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (e) => {
          res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end(`cannot collect metrics: ${(e as Error).message}\n`);
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: addr.host, port: addr.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const bound = server.address();
  return {
    // The port actually bound (differs from addr.port when 0 was asked for).
    address: { host: addr.host, port: typeof bound === 'object' && bound ? bound.port : addr.port },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
