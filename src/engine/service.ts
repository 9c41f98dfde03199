// The running program: builds the engine for the mode asked for, attaches the
// fail log, full syncs, plugins and operations features, and handles signals.
// Each feature lives in its own module; this file only wires them.
import type { CliOptions } from '../cli/args.js';
import { effectiveWatchRoot } from '../config/load.js';
import type { Config } from '../config/types.js';
import { preparePersistence } from '../faillog/attach.js'; // fail log + journal (issue 5)
import { createLogger, type Logger } from '../log/logger.js';
import { sersync2Command } from '../rsync/argv.js';
import type { RsyncResult } from '../rsync/run.js';
import { display } from '../util/bytepath.js';
import { type PluginRunner, startPluginRunner } from '../plugins/runner.js'; // plugins (issue 7)
import { Engine, type EngineHooks } from './engine.js';
import { prepareOps } from '../ops/attach.js'; // ops (issue 8)
import { startFullSyncs } from '../fullsync/wire.js'; // full sync (issue 6)
import type { Executor } from './remoteSender.js';
import type { Reconciler } from './reconcile.js';
import { attachReconciliation } from './reconcileWiring.js'; // blind spots (issue 4)

export interface Service {
  engine: Engine;
  config: Config;
  log: Logger;
  /** Stop gracefully: record what is pending, release resources. */
  shutdown(reason: string): Promise<void>;
}

/** Start the long-running mode. Resolves to null while running (exit comes from signals). */
export async function startService(config: Config, opts: CliOptions): Promise<number | null> {
  const log = createLogger({
    level: config.debug ? 'debug' : 'info',
    format: opts.logFormat,
    file: opts.logFile,
  });
  const pluginName = opts.pluginMode ?? (config.plugin.enabled ? config.plugin.name : undefined);
  const root = effectiveWatchRoot(config, { plugin: pluginName, pluginOnly: opts.pluginMode !== null });
  // --- ops (issue 8): lock + pid file before watching; status socket, metrics ---
  const ops = await prepareOps(config, opts, root, log);
  // --- end ops ---

  // issue 10: --dry-run prints sersync2's per-path command for each op the engine would push (the
  // engine still coalesces and batches), and runs nothing: no rsync, no plugin, no fail log, no full sync.
  const execute: Executor | undefined = opts.dryRun ? dryRunExecutor(config, () => engine) : undefined;
  if (opts.dryRun && pluginName) process.stdout.write(`--dry-run: the ${pluginName} plugin is not run\n`);
  // --- plugins (issue 7): chained after each push, or alone with -m (no rsync) ---
  const pluginOnly = opts.pluginMode !== null;
  const plugins: PluginRunner | null = pluginName && !opts.dryRun
    ? startPluginRunner(config, {
        name: pluginName,
        pluginOnly,
        root,
        log,
        out: (s) => void process.stdout.write(s),
        filter: (): Engine['filter'] => engine.filter, // the engine's main filter, made below
      })
    : null;
  const pluginHooks: EngineHooks = !plugins ? {} : pluginOnly ? { onHints: plugins.onHints } : { onOpComplete: plugins.onOpComplete };
  // --- end plugins ---
  // --- fail log + journal (issue 5): records failures, replays them, keeps pending paths on disk ---
  const persist = await preparePersistence({ config, root, log, ...(execute ? { execute } : {}), enabled: !pluginOnly && !opts.dryRun });
  // --- end fail log + journal ---
  const engine = new Engine({
    config,
    root,
    concurrency: opts.threads,
    log,
    execute,
    noPush: opts.pluginMode !== null,
    dryRun: opts.dryRun, // issue 10: deleted directories in sersync2's dir delete form; no stream sweeps
    hooks: {
      ...pluginHooks,
      ...persist.hooks,
      // issue 4: lost events suspected → one reconciliation (full sync with the delete guardrail)
      onReconcileNeeded: (reason) => reconciler?.request(reason),
    },
  });
  let reconciler: Reconciler | null = null;
  await engine.start();
  await persist.attach(engine); // issue 5: re-queue what a killed previous run had not delivered (journal)
  // The previous run stopped (or died) before repairing an event stream: it may have lost events.
  if (persist.inheritedSweepDebt) engine.sweepDebt.owe('inherited', 0);
  // issue 10: full syncs and reconciliation are made below; a signal from now on must find the handlers
  // (a SIGTERM just after `watch path is:` used to kill the process with the default action).
  let fullSync: ReturnType<typeof startFullSyncs> = null;
  const service: Service = {
    engine,
    config,
    log,
    async shutdown(reason) {
      log.info(`stopping (${reason})`);
      reconciler?.stop();
      fullSync?.stop();
      const pending = await engine.stop();
      // issue 5: everything not delivered goes to the fail log and the journal: nothing is lost on SIGTERM.
      await persist.shutdown(pending);
      await plugins?.close(); // plugins (issue 7): bounded wait for hooks in flight
      await log.close();
    },
  };
  installSignalHandlers(service);
  process.stdout.write('run the sersync: \n');
  process.stdout.write(`watch path is: ${display(root)}\n`);
  log.info(`watching ${display(root)}`);
  ops.attach(engine); // ops (issue 8): status/metrics live; tells a waiting `-d` parent "ready"
  persist.start(); // issue 5: fail-log replay schedule
  // --- full sync (issue 6): -r now that watching has started (changes made meanwhile are caught), crontab ---
  fullSync = startFullSyncs({
    config,
    opts,
    root,
    engine,
    log,
    onDone: (r, ms) => ops.fullSyncDone(r, ms),
    onCompleteSync: (startedAt) => engine.sweepDebt.paidByFullSync(startedAt), // also pays what -r covers
  });
  // --- end full sync ---
  // --- blind spots (issue 4): reconciliation on suspicion, periodic audit, delete guardrail ---
  if (fullSync && !opts.dryRun) reconciler = attachReconciliation({ config, engine, root, fullSync, log });
  if (persist.inheritedSweepDebt && !opts.fullSyncAtStart) {
    log.warn('the previous run stopped while events were arriving, before it could check for lost ones: reconciling');
    reconciler?.request('the previous run stopped during an event stream');
  }
  // --- end blind spots ---
  return null;
}

function installSignalHandlers(service: Service): void {
  let stopping = false;
  const stop = (sig: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    service.shutdown(sig).then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`sersync2: shutdown failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => service.log.reopen());
}

/**
 * --dry-run (issue 10): for each op of a call, one line: the command sersync2
 * would have run for that path (§5.1 sync form; §5.2 delete form, in its
 * directory shape when the engine knew the path as a directory), with cwd = W
 * as in `cd W &&`. Ops folded into another op (`inv.covered`: below a pushed
 * or deleted directory) get no line, as sersync2 purged queued children of a
 * deleted directory. Run nothing.
 */
function dryRunExecutor(config: Config, engine: () => Engine): Executor {
  return async (inv, remote): Promise<RsyncResult> => {
    for (const op of inv.paths) {
      const cmd =
        op.kind === 'delete'
          ? sersync2Command(config, remote, op.rel, 'delete', engine().wasDirectory(op.rel), inv.cwd)
          : sersync2Command(config, remote, op.rel, 'sync', op.kind === 'dir', inv.cwd);
      process.stdout.write(`${display(cmd)}\n`);
    }
    return { exitCode: 0, signal: null, stderr: '', durationMs: 0, classification: 'ok' };
  };
}
