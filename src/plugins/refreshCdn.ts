// The refreshCDN plugin (spec §7.3): per event, one HEAD request to the CDN's
// refresh API over a raw TCP connection, and one line appended to
// `errorlog.txt` with the reply's status text and the request.
//
// The request keeps sersync2's exact format — user name, password and URL are
// NOT URL-encoded, because CDN endpoints built for sersync2 expect them raw —
// with one exception: CR, LF and NUL are percent-encoded (%0D %0A %00)
// wherever a value is put into the request. A file name is chosen by whoever
// can write into the watched tree; raw CR/LF in it would end the request line
// and let that person add headers or a second request (request splitting).
// Encoding just these bytes changes nothing for any name sersync2 handled
// correctly.
//
// Other deliberate differences: no 1024-byte cut of the request, fixed
// (non-decaying) connect/read bounds (§9.19), DNS via the system resolver.
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { RefreshCdnPluginConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { type BytePath, display, toBuffer } from '../util/bytepath.js';
import { Limiter } from './limiter.js';
import type { Plugin, PluginEvent } from './types.js';

export interface RefreshCdnOptions {
  log: Logger;
  /** Bound on DNS lookup + connect. sersync2 used a 300 ms select; default 1000 ms (a CDN API across the internet needs more than 300 ms). */
  connectTimeoutMs?: number;
  /** Bound on waiting for the reply after the request was sent. Default 1000 ms. */
  replyTimeoutMs?: number;
  /** Where the request/reply lines go. Default: `errorlog.txt` in the process cwd at start-up (as sersync2). */
  errorLogPath?: string;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Events waiting; beyond this they are dropped. Default 1000. */
  maxQueued?: number;
  /** close() waits this long for queued requests. Default 3000 ms. */
  closeGraceMs?: number;
}

/** sersync2 truncates errorlog.txt after this many lines and starts counting again. */
export const ERRORLOG_MAX_WRITES = 1000;
/** sersync2 read at most this much of the reply. */
export const REPLY_MAX_BYTES = 4096;

/** Percent-encode only the bytes that could end the request line (CR, LF, NUL). */
export function protectRequestLine(s: BytePath): BytePath {
  return s.replace(/[\r\n\0]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * The URL for an event (bytes), or null when the event is skipped.
 * regex on: regex_search(match) on the absolute path; no match → null;
 * else base + group 1 + the text after the match. regex off: base + (abs minus watch).
 */
export function cdnUrl(cfg: RefreshCdnPluginConfig, abs: BytePath, rel?: BytePath): BytePath | null {
  if (cfg.regexUrl.enabled) {
    const re = cfg.regexUrl.regex;
    if (!re) return null;
    re.lastIndex = 0;
    const m = re.exec(abs);
    if (!m) return null;
    return cfg.sendUrlBase + (m[1] ?? '') + abs.slice(m.index + m[0].length);
  }
  if (abs.startsWith(cfg.watch)) return cfg.sendUrlBase + abs.slice(cfg.watch.length);
  // Not under the watch string (should not happen): fall back to '/' + rel.
  return cfg.sendUrlBase + '/' + (rel ?? abs);
}

/** The query parameter for a URL: `&dirs=<url>/` for a directory, `&urls=<url>` for anything else. */
export function cdnTarget(url: BytePath, isDir: boolean): BytePath {
  return isDir ? `&dirs=${url}/` : `&urls=${url}`;
}

/** The exact request bytes (as a byte string) sersync2 sends for one event. */
export function cdnRequest(cfg: RefreshCdnPluginConfig, url: BytePath, isDir: boolean): BytePath {
  const p = protectRequestLine;
  return (
    `HEAD /index.jsp?user=${p(cfg.userName)}&pswd=${p(cfg.passwd)}&ok=ok${p(cdnTarget(url, isDir))} HTTP/1.0\r\n` +
    `Host: ${p(cfg.domainName)}\r\n\r\n`
  );
}

/**
 * The status text sersync2 logs from a reply: from `whatsup` to the next
 * newline (or the end of what was read), minus its last character — an
 * off-by-one kept on purpose (`whatsup: succeed\n` → `whatsup: succee`), so
 * existing log watchers keep matching. '' when the reply has no `whatsup`.
 */
export function replyStatus(reply: BytePath): BytePath {
  const at = reply.indexOf('whatsup');
  if (at < 0) return '';
  const nl = reply.indexOf('\n', at);
  const end = nl < 0 ? reply.length : nl;
  return reply.slice(at, Math.max(at, end - 1));
}

/** One errorlog.txt line: status, a space, the full request text, '\n'. */
export function errorLogLine(reply: BytePath, request: BytePath): BytePath {
  return `${replyStatus(reply)} ${request}\n`;
}

/** Has enough of the reply arrived to log it (a `whatsup` line with its newline)? */
function replyComplete(reply: BytePath): boolean {
  const at = reply.indexOf('whatsup');
  return at >= 0 && reply.indexOf('\n', at) >= 0;
}

/**
 * Send one request, read the reply (bounded), resolve with it as a byte
 * string, or with an Error on connect / send failure. Never rejects.
 */
export function exchange(
  host: string,
  port: number,
  request: Buffer,
  connectTimeoutMs: number,
  replyTimeoutMs: number,
): Promise<BytePath | Error> {
  return new Promise((resolve) => {
    let reply = '';
    let connected = false;
    let settled = false;
    const sock = net.connect({ host, port });
    const finish = (r: BytePath | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    // One timer: first for the connect, then re-armed for the reply.
    let timer = setTimeout(() => finish(new Error(`connect timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
    sock.on('error', (e) => finish(connected && reply !== '' ? reply : e));
    sock.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      timer = setTimeout(() => finish(reply), replyTimeoutMs);
      sock.write(request);
    });
    sock.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.length >= REPLY_MAX_BYTES) return finish(reply.slice(0, REPLY_MAX_BYTES));
      if (replyComplete(reply)) finish(reply);
    });
    sock.on('end', () => finish(reply));
  });
}

export function createRefreshCdnPlugin(cfg: RefreshCdnPluginConfig, opts: RefreshCdnOptions): Plugin {
  const log = opts.log;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 1000;
  const replyTimeoutMs = opts.replyTimeoutMs ?? 1000;
  // Resolved once: sersync2 never changes directory, so "the cwd" is the start-up cwd.
  const errorLog = path.resolve(opts.errorLogPath ?? 'errorlog.txt');
  const limiter = new Limiter({ concurrency: opts.concurrency ?? 8, maxQueued: opts.maxQueued ?? 1000 });
  const counts = { events: 0, skipped: 0, sent: 0, failed: 0, dropped: 0, logged: 0 };
  let writes = 0;
  let logChain: Promise<void> = Promise.resolve();
  let dropWarned = false;

  // Lines are written one after another so they never interleave; after
  // ERRORLOG_MAX_WRITES the file starts over (sersync2's truncation).
  function appendLog(line: BytePath): void {
    logChain = logChain.then(async () => {
      try {
        const flag = writes >= ERRORLOG_MAX_WRITES ? 'w' : 'a';
        if (flag === 'w') writes = 0;
        await fs.writeFile(errorLog, toBuffer(line), { flag, mode: 0o644 });
        writes++;
        counts.logged++;
      } catch (e) {
        log.debug(`refreshCDN plugin: cannot write ${errorLog}: ${(e as Error).message}`);
      }
    });
  }

  async function refresh(request: BytePath, abs: BytePath): Promise<void> {
    const r = await exchange(cfg.domainName, cfg.port, toBuffer(request), connectTimeoutMs, replyTimeoutMs);
    if (r instanceof Error) {
      counts.failed++;
      log.debug(`refreshCDN plugin: ${cfg.domainName}:${cfg.port} for ${display(abs)}: ${r.message}`);
      return;
    }
    counts.sent++;
    appendLog(errorLogLine(r, request));
  }

  return {
    name: 'refreshCDN',
    handle(ev: PluginEvent): void {
      counts.events++;
      const url = cdnUrl(cfg, ev.abs, ev.rel);
      if (url === null) {
        counts.skipped++;
        return;
      }
      const request = cdnRequest(cfg, url, ev.isDir);
      if (limiter.submit(() => refresh(request, ev.abs))) {
        if (limiter.queued === 0) dropWarned = false;
        return;
      }
      counts.dropped++;
      if (!dropWarned) {
        dropWarned = true;
        log.warn(`refreshCDN plugin: ${cfg.domainName}:${cfg.port} is not keeping up; dropping events until the backlog clears`);
      }
    },
    async close(): Promise<void> {
      limiter.close(false);
      if (!(await limiter.whenIdle(opts.closeGraceMs ?? 3000))) {
        counts.dropped += limiter.close(true);
        await limiter.whenIdle(connectTimeoutMs + replyTimeoutMs);
      }
      await logChain;
    },
    stats(): Record<string, number> {
      return { ...counts, inFlight: limiter.active, queued: limiter.queued };
    },
  };
}
