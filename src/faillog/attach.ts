// Nothing lost while a remote is down, or when the daemon stops: the fail log,
// its replay schedule and the durable journal, wired to the engine by three
// calls from engine/service.ts:
//   preparePersistence()  before the engine exists: opens the fail log (mode
//                         check), gives the engine hooks to call (the journal
//                         records marks from the first one on);
//   attach(engine)        after engine.start() (so the engine's root checks
//                         guard these pushes too): opens the journal and
//                         re-marks what a previous run left pending (crash);
//   start()               the replay schedule;
//   shutdown(pending)     after engine.stop(): pending paths go to the fail
//                         log and the journal (compacted), timers stop.
import type { Config } from '../config/types.js';
import type { Engine, EngineHooks } from '../engine/engine.js';
import { lstatOrNull, stateOf } from '../engine/intake.js';
import type { OpKind } from '../queue/dirtyQueue.js';
import type { Executor } from '../engine/remoteSender.js';
import { Journal, journalPath } from '../journal/journal.js';
import type { Logger } from '../log/logger.js';
import { remoteTarget, type PushOp } from '../rsync/argv.js';
import { type BytePath, display, joinPath } from '../util/bytepath.js';
import { FailLog } from './failLog.js';
import { waitStatus } from './format.js';
import { defaultExecutor, FailLogReplayer } from './replay.js';
import { rootHasEntries } from './vanished.js';

export interface Persistence {
  hooks: Pick<EngineHooks, 'onFailed' | 'onMarked' | 'onDelivered' | 'onRecovered' | 'onSweepDebt'>;
  /** After attach(): the previous run stopped before repairing an event stream (the journal says so). */
  readonly inheritedSweepDebt: boolean;
  attach(engine: Engine): Promise<void>;
  start(): void;
  shutdown(pending: Array<{ remoteIndex: number; ops: PushOp[] }>): Promise<void>;
  readonly failLog: FailLog | null;
  readonly journal: Journal | null;
}

export interface PersistenceOptions {
  config: Config;
  root: BytePath;
  log: Logger;
  /** The engine's executor when it is not rsync (dry-run). */
  execute?: Executor;
  /** false in `-m` plugin mode and --dry-run: nothing is pushed, nothing is recorded. */
  enabled: boolean;
}

const NONE: Persistence = {
  hooks: {},
  attach: async () => {},
  start: () => {},
  shutdown: async () => {},
  failLog: null,
  journal: null,
  inheritedSweepDebt: false,
};

export async function preparePersistence(o: PersistenceOptions): Promise<Persistence> {
  if (!o.enabled) return NONE;
  const { config, root, log } = o;
  const failLog = new FailLog({ config, root, log });
  await failLog.checkAtStartup();
  let engine: Engine | null = null;
  // Created now so that no mark is missed; written once attach() opened it.
  let journal: Journal | null = new Journal({
    file: journalPath(config.extensions.stateDir, root, config.remotes.map((r) => remoteTarget(config, r))),
    root,
    log,
    live: () => engine?.pending() ?? [],
    idle: () => engine !== null && engine.senders.every((s) => s.queue.size === 0 && s.inFlight === 0),
  });
  const queued = (i: number, rel: BytePath): boolean => {
    const q = engine!.senders[i]!.queue;
    return q.get(rel) !== undefined || q.isInFlight(rel);
  };
  const replayer = new FailLogReplayer({
    failLog,
    log,
    execute: o.execute ?? defaultExecutor(config),
    // timeToExecute="0": sersync2 replays at every idle minute.
    intervalMs: (config.failLog.intervalSeconds || 60) * 1000,
    // Paths the queue pushes anyway leave the fail log on delivery.
    skip: (i, rel) => engine !== null && queued(i, rel),
    // While the watch root is gone or unmounted, every path would look deleted.
    paused: () => engine === null || engine.isRootLost,
  });

  const hooks: Persistence['hooks'] = {
    onFailed: (_remote, i, ops, result) => {
      failLog.append(i, ops, waitStatus(result.exitCode, result.signal)).catch(() => {});
    },
    onMarked: (i, rel, kind) => journal?.marked(i, rel, kind),
    onDelivered: (i, ops) => {
      journal?.delivered(i, ops, (rel) => engine!.senders[i]!.queue.get(rel) !== undefined);
      failLog.noteDelivered(i, ops);
    },
    onRecovered: (i) => replayer.soon(i),
    onSweepDebt: (owed) => journal?.setReconcileOwed(owed),
  };

  return {
    hooks,
    failLog,
    get journal() {
      return journal;
    },
    get inheritedSweepDebt() {
      return journal?.reconcileOwedAtOpen ?? false;
    },
    async attach(e) {
      engine = e;
      const j = journal!;
      let left;
      try {
        left = await j.open();
      } catch (err) {
        journal = null;
        log.error(`journal ${display(config.extensions.stateDir)}: cannot be used: ${(err as Error).message}; pending changes will not survive a crash`);
        return;
      }
      if (left.length === 0) return;
      // What a previous run had not delivered (it was killed): push it again.
      // What each path is now decides the op. A path that looks gone becomes a
      // remote delete only when that is safe (vanished.ts): it was recorded as
      // a delete, or W is the same directory as then and not empty.
      const deletesSafe = !j.rootChanged && (await rootHasEntries(root));
      let n = 0;
      let held = 0;
      for (let k = 0; k < left.length; k += 256) {
        const chunk = left.slice(k, k + 256);
        const stats = await Promise.all(chunk.map((x) => lstatOrNull(joinPath(root, x.rel))));
        const now = Date.now();
        j.pause(true); // synchronous block: no live mark can slip in; these records are on disk already
        chunk.forEach((x, m) => {
          const sender = e.senders[x.remoteIndex];
          if (!sender || e.filter.excludedByAncestry(x.rel, false)) return;
          const st = stateOf(stats[m] ?? null);
          let kind: OpKind = st === 'dir' ? 'dir' : 'file';
          if (st === 'missing') {
            if (!deletesSafe && (j.rootChanged || x.kind !== 'delete')) {
              held++;
              return;
            }
            kind = 'delete';
          }
          sender.mark(x.rel, kind, now);
          n++;
        });
        j.pause(false);
      }
      log.warn(`journal: ${n} change(s) a previous run had not delivered (it was stopped abruptly) are queued again`);
      if (held) {
        log.error(
          `journal: ${held} path(s) that a previous run had to push are missing now, but ${display(root)} ` +
            `${j.rootChanged ? 'is not the same directory as then' : 'is empty'} (a file system not mounted?): they are NOT deleted remotely. ` +
            'Once the right file system is mounted, run `sersync2 -r -o <config>` to reconcile',
        );
      }
    },
    start() {
      replayer.start();
    },
    async shutdown(pending) {
      await replayer.stop();
      // Everything not delivered is kept: in the fail log for cron / sh, and in
      // the journal so that the next start pushes it at once.
      for (const { remoteIndex, ops } of pending) {
        if (ops.length === 0) continue;
        await failLog.append(remoteIndex, ops, -1);
        log.warn(`${ops.length} pending change(s) for ${config.remotes[remoteIndex]!.ip} recorded in ${display(config.failLog.path)}`);
      }
      await failLog.flush();
      failLog.close();
      if (engine) await journal?.close(); // not opened yet: nothing of ours to compact
    },
  };
}
