// Connects a plugin to the engine. Two ways, as in sersync2 (spec §7):
//  * chained (`<sersync><plugin start="true">`): the engine calls
//    onOpComplete after an op reached every remote; the op says file / dir /
//    delete, so no lstat is needed.
//  * `-m NAME` (§7.6): no rsync at all. Hints are classified exactly like the
//    push pipeline does (lstat, built-in drops, main filter, <inotify>
//    toggles) and each result is handed to the plugin. A file that is still
//    being written is held back for the quiet period, repeated hints for one
//    path in that time give one call, and a hint that shows no new state of
//    the path (same inode, size, mtime, ctime) gives none (changeMemory.ts).
//    Chained mode does not do this: the call follows each push, and only the
//    engine knows what a push carried.
import fsp from 'node:fs/promises';
import type { Config } from '../config/types.js';
import { Intake } from '../engine/intake.js';
import type { PathFilter } from '../filter/pathFilter.js';
import type { Logger } from '../log/logger.js';
import type { PushOp } from '../rsync/argv.js';
import { type BytePath, display, joinPath, toBuffer } from '../util/bytepath.js';
import type { Hint } from '../watch/watcher.js';
import { ChangeMemory, stateSignature } from './changeMemory.js';
import { pluginEvent } from './event.js';
import { createPlugin, type CreatePluginOptions, pluginModeStartLine } from './index.js';
import type { Plugin } from './types.js';

export interface PluginRunnerOptions {
  /** The plugin to run. */
  name: string;
  /** `-m NAME`: plugin only, no rsync. */
  pluginOnly: boolean;
  /** The watch root W the engine watches (spec §2.4). */
  root: BytePath;
  log: Logger;
  /** Start-up lines (stdout). */
  out: (s: string) => void;
  /** The engine's main filter; read lazily because the engine makes it. */
  filter: () => PathFilter;
  tuning?: Omit<CreatePluginOptions, 'log'>;
}

export interface PluginRunner {
  readonly plugin: Plugin;
  /** Engine hook, chained mode. */
  onOpComplete(op: PushOp): void;
  /** Engine hook, `-m` mode. */
  onHints(hints: Hint[]): void;
  close(): Promise<void>;
}

export function startPluginRunner(config: Config, o: PluginRunnerOptions): PluginRunner {
  const plugin = createPlugin(o.name, config, { ...o.tuning, log: o.log });
  if (o.pluginOnly) o.out(`${pluginModeStartLine(o.name)}\n`);
  if (o.name === 'socket' && config.plugins.socket) {
    // sersync2's socket plugin announces itself when it reads its section (§7.2).
    const s = config.plugins.socket;
    o.out(`监控路径: ${display(s.watch)}  ip:  ${s.ip} 端口号: ${s.port}\n`);
  }

  let chain: Promise<void> = Promise.resolve();
  let closing = false;
  const held = new Map<BytePath, { timer: NodeJS.Timeout; kind: PushOp['kind'] }>();

  const deliver = (rel: BytePath, kind: PushOp['kind'], wasDir = false): void => {
    plugin.handle(pluginEvent(o.root, rel, kind === 'dir' || wasDir, kind === 'delete' ? 'delete' : 'sync'));
  };

  // -m mode: one call per real change (see changeMemory.ts), in order.
  const memory = new ChangeMemory();
  let reports: Promise<void> = Promise.resolve();
  const report = (rel: BytePath, kind: PushOp['kind']): void => {
    reports = reports.then(async () => {
      let sig: string | null = null;
      if (kind !== 'delete') {
        try {
          sig = stateSignature(kind, await fsp.lstat(toBuffer(joinPath(o.root, rel)), { bigint: true }));
        } catch {
          sig = null; // vanished meanwhile: report what the classification saw
        }
      }
      // A deleted directory we reported before is still told as a directory
      // (refreshCDN's &dirs=, http's isdir=1), as sersync2's IN_ISDIR would.
      const wasDir = kind === 'delete' && memory.wasDir(rel);
      if (memory.isNew(rel, kind, sig)) deliver(rel, kind, wasDir);
    });
  };

  let intake: Intake | null = null;
  async function classify(hints: Hint[]): Promise<void> {
    const now = Date.now();
    intake ??= new Intake({ rootAbs: o.root, filter: o.filter(), toggles: config.inotify, quietMs: config.extensions.quietMs });
    const ops = await intake.classify(hints, now);
    for (const op of ops) {
      const prev = held.get(op.rel);
      if (prev) {
        clearTimeout(prev.timer);
        held.delete(op.rel);
      }
      if (op.readyAt <= now || closing) {
        report(op.rel, op.kind);
        continue;
      }
      const timer = setTimeout(() => {
        held.delete(op.rel);
        report(op.rel, op.kind);
      }, op.readyAt - now);
      held.set(op.rel, { timer, kind: op.kind });
    }
  }

  return {
    plugin,
    onOpComplete(op) {
      if (!closing) deliver(op.rel, op.kind);
    },
    onHints(hints) {
      if (closing) return;
      chain = chain.then(() => classify(hints)).catch((e) => o.log.error(`plugin ${o.name}: event intake failed: ${(e as Error).message}`));
    },
    async close() {
      closing = true;
      await chain;
      // Files still in their quiet period are reported now rather than lost.
      for (const [rel, h] of held) {
        clearTimeout(h.timer);
        report(rel, h.kind);
      }
      held.clear();
      await reports;
      await plugin.close();
      const s = plugin.stats();
      o.log.info(`plugin ${o.name} stopped: ${Object.entries(s).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    },
  };
}
