// Reconciliation policy: when the engine suspects lost events (storm,
// overflow, unwatched subtree, a lost and recovered root, a watcher error),
// and on the periodic audit, run a full sync with the delete guardrail and log
// what it repaired. The mechanism (one run at a time, folded requests) is the
// Reconciler and the full-sync controller; this file is the policy.
import fsp from 'node:fs/promises';
import type { Config } from '../config/types.js';
import type { FullSyncController } from '../fullsync/controller.js';
import type { DeleteGuardInput, FullSyncResult } from '../fullsync/fullSync.js';
import type { Logger } from '../log/logger.js';
import { type BytePath, toBuffer } from '../util/bytepath.js';
import type { Engine } from './engine.js';
import { Reconciler } from './reconcile.js';

export interface ReconcileWiring {
  config: Config;
  engine: Engine;
  /** The watch root W (bytes). */
  root: BytePath;
  fullSync: FullSyncController;
  log: Logger;
}

/**
 * The delete guardrail (pure): refuse to delete more than `ratio` of what the
 * remote holds. An empty or foreign source (an unmounted file system, a
 * recreated empty directory) would otherwise wipe the backup.
 */
export function guardAllows(plan: Pick<DeleteGuardInput, 'deleteCount' | 'remoteTotal'>, ratio: number): boolean {
  if (ratio >= 1 || plan.deleteCount === 0) return true;
  if (plan.remoteTotal <= 0) return true;
  return plan.deleteCount / plan.remoteTotal <= ratio;
}

export function attachReconciliation(w: ReconcileWiring): Reconciler {
  const { config, engine, fullSync, log } = w;
  const ratio = config.extensions.deleteGuardRatio;

  const allowDelete = (plan: DeleteGuardInput): boolean => {
    if (engine.isRootLost) {
      log.error(`reconciliation (${plan.reason}): the watch root is not available; no deletions on ${plan.remote}`);
      return false;
    }
    if (guardAllows(plan, ratio)) return true;
    const pct = ((100 * plan.deleteCount) / plan.remoteTotal).toFixed(0);
    log.error(
      `delete guardrail: reconciliation (${plan.reason}) would delete ${plan.deleteCount} of ${plan.remoteTotal} entries ` +
        `(${pct}%) on ${plan.remote}, more than ${(ratio * 100).toFixed(0)}%. Refused: the source may be empty, ` +
        `unmounted or the wrong directory. If the deletions are right, run a full sync (sersync2 -r) or set ` +
        `<sersyncts deleteGuard="1"/> to allow them.`,
    );
    return false;
  };

  const report = (r: FullSyncResult): void => {
    for (const rr of r.remotes) {
      const sent = rr.stats?.regularTransferred ?? 0;
      const repaired = sent + rr.deleted + rr.remarked;
      const what = `${sent} file(s) sent, ${rr.deleted} deleted, ${rr.remarked} re-queued`;
      if (!rr.ok) log.warn(`reconciliation with ${rr.remote} failed: ${rr.error ?? 'unknown error'}`);
      else if (repaired > 0) log.warn(`reconciliation with ${rr.remote} (${r.reason}) repaired drift: ${what}`);
      else log.info(`reconciliation with ${rr.remote} (${r.reason}): no drift`);
      if (rr.deleteNote) log.warn(`reconciliation with ${rr.remote}: ${rr.deleteNote}`);
    }
  };

  // Asking the guard needs the slower list mode (rsync's own --delete cannot be
  // asked first), so it is used when the source could be the wrong one: after
  // the root was lost or replaced, or when the root is empty. A normal audit of
  // the same, non-empty directory is a plain `rsync -a --delete` (§5.5 shape).
  const suspicious = async (reason: string): Promise<boolean> => {
    if (engine.isRootLost || /root/.test(reason)) return true;
    try {
      const names = await fsp.readdir(toBuffer(w.root));
      return names.length === 0;
    } catch {
      return true;
    }
  };
  const reconcile = async (reason: string): Promise<void> =>
    report(await fullSync.run(reason, (await suspicious(reason)) ? { allowDelete } : {}));

  const reconciler = new Reconciler({ log, run: reconcile });

  const audit = async (): Promise<void> => {
    const cov = await engine.checkWatchCoverage();
    if (cov.rebuilt) log.warn(`audit: ${cov.dirs - cov.watches} directories had no watch; watches rebuilt`);
    else log.debug(`audit: ${cov.watches} watches for ${cov.dirs} directories`);
    await reconcile('audit');
  };
  reconciler.startAudit(config.extensions.auditIntervalSeconds * 1000, audit);
  return reconciler;
}
