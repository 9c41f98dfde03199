// Wiring for engine/service.ts: `-r` once watching has started, and the
// crontab schedule. One call, after `watch path is:` has been printed.
//
// Differences from sersync2 (spec §3.2, §5.5, §9 item 10), on purpose:
// - `-r` runs AFTER the watches exist, so changes made during it are caught
//   by the live pipeline (sersync2 ran it before watching and lost them);
// - `-r` with the main filter is not refused: the file list is built by
//   sersync-ts so excluded paths never reach the remote;
// - crontab stays on when the main filter is on without a crontab filter
//   (sersync2 switched it off); the main filter is applied to it as well;
// - remotes are synced in parallel, not one after another.
// Which root: the engine's watch root (the same W the live pipeline uses).
// sersync2 used the sersync localpath for `-r` even when a plugin replaced W
// (§2.4); without a plugin the two are the same.
import type { CliOptions } from '../cli/args.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { sersync2FullSyncCommand } from '../rsync/argv.js';
import { type BytePath, display } from '../util/bytepath.js';
import type { Markable } from './gapRepair.js';
import type { FullSyncFilter } from './plan.js';
import { FullSyncController } from './controller.js';

export interface FullSyncWiring {
  config: Config;
  opts: Pick<CliOptions, 'fullSyncAtStart' | 'pluginMode' | 'dryRun'>;
  root: BytePath;
  engine: { readonly senders: readonly Markable[]; readonly filter: FullSyncFilter };
  log: Logger;
  out?: (s: string) => void;
  tty?: boolean;
  /** Metrics hook (ops.fullSyncDone), for each remote whose full sync succeeded. */
  onDone?: (remote: string, durationMs: number) => void;
  /** A full sync (-r, crontab, reconciliation) reached every remote; `startedAt` is when it began. */
  onCompleteSync?: (startedAt: number) => void;
}

/** Start `-r` (in the background) and the crontab; null in `-m` mode (no rsync at all). */
export function startFullSyncs(w: FullSyncWiring): FullSyncController | null {
  if (w.opts.pluginMode !== null) return null;
  const { config, log } = w;
  const out = w.out ?? ((s: string) => void process.stdout.write(s));
  const controller = new FullSyncController({
    config,
    root: w.root,
    log,
    engine: w.engine,
    out,
    tty: w.tty ?? process.stdout.isTTY === true,
    // Only completed runs feed the duration histogram (a refused connection is not a duration).
    onDone: (remote, ms, ok) => {
      if (ok) w.onDone?.(remote, ms);
    },
    onRunDone: (r) => {
      if (r.ok) w.onCompleteSync?.(r.startedAt);
    },
  });

  if (w.opts.fullSyncAtStart && config.remotes.length > 0) {
    out('------------------------------------------\n');
    out('rsync the directory recursivly to the remote servers once\n');
    out('working please wait...\n');
    out(`execute command: ${display(sersync2FullSyncCommand(config, config.remotes[0]!, w.root))}\n`);
    if (w.engine.filter.active) {
      out('the filter is on: the full sync sends only what the filter keeps (sersync-ts builds the file list)\n');
    }
    if (w.opts.dryRun) {
      out('--dry-run: the full sync is not run\n');
    } else {
      controller.run('-r', { progress: true, printSummary: true }).catch((e) => log.error(`full sync (-r) failed: ${(e as Error).message}`));
    }
  }

  if (!w.opts.dryRun && controller.startCrontab()) {
    const at = controller.nextCrontabAt;
    log.info(
      `crontab: a full sync every ${config.crontab.scheduleMinutes} minute(s)` +
        `${at ? `, the first at ${new Date(at).toISOString()}` : ''}` +
        `${config.crontab.filter.enabled ? ` with ${config.crontab.filter.excludes.length} crontabfilter exclude(s)` : ''}`,
    );
  }
  return controller;
}
