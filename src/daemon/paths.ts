// Where a running instance keeps its pid file, locks and status socket. One
// place computes the names, so the daemon and `--status` always agree.
//
// An instance is identified by its mode (sync, or the `-m` plugin it runs) and
// the realpath of its watch root: sersync2 users run `sersync2 -d -o c.xml`
// and `sersync2 -d -m refreshCDN -o c.xml` side by side, and both must work.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type BytePath, toBuffer } from '../util/bytepath.js';

/** 'sync' for the normal mode, else the `-m` plugin name. */
export type InstanceMode = string;

/** Longest unix socket path Linux accepts (sun_path is 108 bytes with the NUL). */
export const MAX_SOCKET_PATH = 107;

export interface StatePaths {
  stateDir: string;
  /** sha1 hex of mode + realpath(watch root). */
  rootKey: string;
  /** sha1 hex of mode + realpath(config file). */
  configKey: string;
  rootLock: string;
  configLock: string;
  /** Default pid file (overridden by --pid-file). */
  pidFile: string;
  /** Unix socket of the status endpoint. */
  statusSocket: string;
}

export function sha1hex(data: string | Buffer): string {
  return createHash('sha1').update(data).digest('hex');
}

/** realpath when the file exists, else the absolute path (the key must not depend on cwd). */
export function canonicalPath(p: Buffer): Buffer {
  try {
    return fs.realpathSync(p, { encoding: 'buffer' });
  } catch {
    return Buffer.from(path.resolve(p.toString('latin1')), 'latin1');
  }
}

function key(mode: InstanceMode, p: Buffer): string {
  return sha1hex(Buffer.concat([Buffer.from(`${mode}\0`, 'utf8'), p]));
}

/**
 * All state paths of the instance for (`mode`, watch root, config file).
 * `stateDir` is config.extensions.stateDir (a byte path), made absolute.
 */
export function statePaths(opts: { stateDir: BytePath; root: BytePath; configFile: string; mode: InstanceMode }): StatePaths {
  const stateDir = path.resolve(toBuffer(opts.stateDir).toString('utf8'));
  const rootKey = key(opts.mode, canonicalPath(toBuffer(opts.root)));
  const configKey = key(opts.mode, canonicalPath(Buffer.from(opts.configFile, 'utf8')));
  const suffix = opts.mode === 'sync' ? '' : `-${opts.mode}`;
  return {
    stateDir,
    rootKey,
    configKey,
    rootLock: path.join(stateDir, `lock-root-${rootKey}`),
    configLock: path.join(stateDir, `lock-config-${configKey}`),
    pidFile: path.join(stateDir, `sersync-ts${suffix}.pid`),
    // 16 hex digits keep the socket path well under sun_path's 108 bytes.
    statusSocket: path.join(stateDir, `status-${rootKey.slice(0, 16)}.sock`),
  };
}

/** Creates the state directory (0700: it holds the control socket) if missing. */
export function ensureStateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}
