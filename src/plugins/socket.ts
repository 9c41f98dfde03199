// The socket plugin (spec §7.2): per event, a new TCP connection to
// `deshost ip:port`, one send of the absolute path bytes — no newline, no
// terminator, no operation code — then close. Nothing is read back.
//
// Differences from sersync2, all about robustness: the connect time is
// bounded by a fixed timeout (sersync2's shared select timeout decayed to 0,
// §9.19); the path is sent whole (sersync2 copied it into a 2048-byte buffer);
// connections are capped, excess events wait in a bounded queue and beyond
// that are dropped and counted. handle() never waits on the network.
import net from 'node:net';
import type { SocketPluginConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { display, toBuffer } from '../util/bytepath.js';
import { Limiter } from './limiter.js';
import type { Plugin, PluginEvent } from './types.js';

export interface SocketPluginOptions {
  log: Logger;
  /**
   * Give up on a connect after this long. Default 1500 ms: one lost SYN is
   * retransmitted after 1 s (the initial RTO), so this survives one loss
   * while a dead host still frees its slot quickly.
   */
  connectTimeoutMs?: number;
  /** Give up on the whole exchange (connect + send + close) after this long. Default 3000 ms. */
  totalTimeoutMs?: number;
  /** Connections open at once. Default 16. */
  concurrency?: number;
  /** Events waiting for a connection slot; beyond this they are dropped. Default 1000. */
  maxQueued?: number;
  /** close() waits this long for queued sends. Default 2000 ms. */
  closeGraceMs?: number;
}

/** Connect, send `payload`, close. Resolves (never rejects) with an error text or null on success. */
export function sendOnce(
  host: string,
  port: number,
  payload: Buffer,
  connectTimeoutMs: number,
  totalTimeoutMs: number,
): Promise<string | null> {
  return new Promise((resolve) => {
    let settled = false;
    const sock = net.connect({ host, port });
    const finish = (err: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      sock.destroy();
      resolve(err);
    };
    const connectTimer = setTimeout(() => finish(`connect timed out after ${connectTimeoutMs} ms`), connectTimeoutMs);
    const totalTimer = setTimeout(() => finish(`no close after ${totalTimeoutMs} ms`), totalTimeoutMs);
    sock.setNoDelay(true);
    sock.on('error', (e) => finish(e.message));
    sock.on('data', () => {}); // nothing is expected; never let unread data pile up
    sock.once('connect', () => {
      clearTimeout(connectTimer);
      // end() sends the bytes then FIN; once flushed we are done (sersync2 closed right after send()).
      sock.end(payload, () => finish(null));
    });
  });
}

export function createSocketPlugin(cfg: SocketPluginConfig, opts: SocketPluginOptions): Plugin {
  const log = opts.log;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 1500;
  const totalTimeoutMs = opts.totalTimeoutMs ?? 3000;
  const limiter = new Limiter({ concurrency: opts.concurrency ?? 16, maxQueued: opts.maxQueued ?? 1000 });
  const counts = { events: 0, sent: 0, failed: 0, dropped: 0 };
  let dropWarned = false;

  async function send(ev: PluginEvent): Promise<void> {
    const err = await sendOnce(cfg.ip, cfg.port, toBuffer(ev.abs), connectTimeoutMs, totalTimeoutMs);
    if (err === null) {
      counts.sent++;
      return;
    }
    counts.failed++;
    // sersync2 was silent about these; debug keeps them findable without flooding.
    log.debug(`socket plugin: ${cfg.ip}:${cfg.port} ${display(ev.abs)}: ${err}`);
  }

  return {
    name: 'socket',
    handle(ev: PluginEvent): void {
      counts.events++;
      if (limiter.submit(() => send(ev))) {
        if (limiter.queued === 0) dropWarned = false;
        return;
      }
      counts.dropped++;
      if (!dropWarned) {
        dropWarned = true;
        log.warn(`socket plugin: ${cfg.ip}:${cfg.port} is not keeping up; dropping events until the backlog clears`);
      }
    },
    async close(): Promise<void> {
      limiter.close(false);
      if (await limiter.whenIdle(opts.closeGraceMs ?? 2000)) return;
      counts.dropped += limiter.close(true);
      // Running sends end on their own within totalTimeoutMs.
      await limiter.whenIdle(totalTimeoutMs);
    },
    stats(): Record<string, number> {
      return { ...counts, connecting: limiter.active, queued: limiter.queued };
    },
  };
}
