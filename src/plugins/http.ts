// The http plugin — a sersync-ts extension. sersync2's source has an
// HttpInterface (libcurl POST of a form body, spec §7.4) but 2.5.4 was built
// without it (`-m http` → 模块名称错误). sersync-ts implements it as a webhook:
// per event one POST to `deshost url` with the body
//   watchroot=<watch>&isdir=0|1&inotifyPath=<abs path>&mask=<decimal mask>
// Content-Type application/x-www-form-urlencoded.
//
// Difference from that source: the values ARE form-encoded (bytes outside
// A-Z a-z 0-9 * - . _ become %XX, space becomes +). The original pasted them
// raw, so a name containing `&`, `=`, `%` or `+` could not be parsed back by
// the receiver; encoded, any standard form parser recovers the exact bytes
// (also for names that are not UTF-8). `deshost port` is read but, as in the
// source, unused: the port belongs in the URL.
import http from 'node:http';
import https from 'node:https';
import type { HttpPluginConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { type BytePath, display } from '../util/bytepath.js';
import { Limiter } from './limiter.js';
import type { Plugin, PluginEvent } from './types.js';

export interface HttpPluginOptions {
  log: Logger;
  /** Whole request (connect, send, response) bound. Default 5000 ms. */
  timeoutMs?: number;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Events waiting; beyond this they are dropped. Default 1000. */
  maxQueued?: number;
  /** close() waits this long for queued requests. Default 3000 ms. */
  closeGraceMs?: number;
}

/** application/x-www-form-urlencoded encoding of a byte string (WHATWG serializer, byte-wise). */
export function formEncode(s: BytePath): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (/[A-Za-z0-9*\-._]/.test(ch)) out += ch;
    else if (c === 0x20) out += '+';
    else out += `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The POST body for one event (ASCII). */
export function httpBody(watch: BytePath, ev: PluginEvent): string {
  return (
    `watchroot=${formEncode(watch)}&isdir=${ev.isDir ? 1 : 0}` +
    `&inotifyPath=${formEncode(ev.abs)}&mask=${ev.mask >>> 0}`
  );
}

/** POST `body`; resolves with the status code, or an Error. Never rejects. */
export function postForm(url: URL, body: string, timeoutMs: number): Promise<number | Error> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: number | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': Buffer.byteLength(body),
        'User-Agent': 'sersync-ts',
      },
      agent: false, // one connection per request, closed after it: nothing lingers at shutdown
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no response after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => finish(e));
    req.on('response', (res) => {
      res.resume(); // the body is not used
      res.on('end', () => finish(res.statusCode ?? 0));
      res.on('error', (e) => finish(e));
    });
    req.end(body);
  });
}

export function createHttpPlugin(cfg: HttpPluginConfig, opts: HttpPluginOptions): Plugin {
  const log = opts.log;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const limiter = new Limiter({ concurrency: opts.concurrency ?? 8, maxQueued: opts.maxQueued ?? 1000 });
  const counts = { events: 0, sent: 0, failed: 0, dropped: 0 };
  let url: URL | null = null;
  try {
    url = new URL(cfg.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported scheme ${url.protocol}`);
  } catch (e) {
    log.error(`http plugin: deshost url ${JSON.stringify(cfg.url)} is not an http(s) URL (${(e as Error).message}); nothing will be posted`);
    url = null;
  }
  let dropWarned = false;

  async function post(target: URL, body: string, abs: BytePath): Promise<void> {
    const r = await postForm(target, body, timeoutMs);
    if (typeof r === 'number' && r >= 200 && r < 300) {
      counts.sent++;
      return;
    }
    counts.failed++;
    log.debug(`http plugin: POST ${target.href} for ${display(abs)}: ${typeof r === 'number' ? `HTTP ${r}` : r.message}`);
  }

  return {
    name: 'http',
    handle(ev: PluginEvent): void {
      counts.events++;
      if (!url) return;
      const body = httpBody(cfg.watch, ev);
      const target = url;
      if (limiter.submit(() => post(target, body, ev.abs))) {
        if (limiter.queued === 0) dropWarned = false;
        return;
      }
      counts.dropped++;
      if (!dropWarned) {
        dropWarned = true;
        log.warn(`http plugin: ${url.host} is not keeping up; dropping events until the backlog clears`);
      }
    },
    async close(): Promise<void> {
      limiter.close(false);
      if (await limiter.whenIdle(opts.closeGraceMs ?? 3000)) return;
      counts.dropped += limiter.close(true);
      await limiter.whenIdle(timeoutMs);
    },
    stats(): Record<string, number> {
      return { ...counts, inFlight: limiter.active, queued: limiter.queued };
    },
  };
}
