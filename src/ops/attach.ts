// Operations features around the engine, wired by two calls from
// engine/service.ts and one from cli/run.ts:
//   prepareOps()  before watching: instance locks + pid file, the status
//                 socket and the metrics listener (so a busy port fails the
//                 start, not a running daemon);
//   handle.attach(engine)  once watching: status and metrics go live, the
//                 `-d` parent is told "ready";
//   runStatusCommand()  `sersync2 --status -o confxml.xml`.
import fs from 'node:fs';
import path from 'node:path';
import type { CliOptions } from '../cli/args.js';
import { effectiveWatchRoot } from '../config/load.js';
import type { Config } from '../config/types.js';
import { daemonReady } from '../daemon/daemonize.js';
import { claimInstance, InstanceError, type InstanceClaim } from '../daemon/instance.js';
import { readLock } from '../daemon/lock.js';
import { statePaths, type StatePaths } from '../daemon/paths.js';
import { sameProcessAlive } from '../daemon/proc.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../log/logger.js';
import { type BytePath, display } from '../util/bytepath.js';
import { FailLogCounter } from './failLogCount.js';
import { Metrics, parseListenAddress, startMetricsServer, type MetricsServer } from './metrics.js';
import { NoDaemonError, queryStatus, startStatusServer, type StatusServer } from './status.js';
import { buildStatusDocument, formatStatus, type StatusDocument } from './statusDoc.js';

export interface OpsHandle {
  readonly claim: InstanceClaim;
  readonly metrics: Metrics | null;
  /** Call once the engine is watching. */
  attach(engine: Engine): void;
  /** A full sync (-r, crontab, reconciliation) to `remote` (remoteLabel) finished: feeds the duration histogram. */
  fullSyncDone(remote: string, durationMs: number): void;
  /** Close the listeners and give back the pid file and locks (also done on exit). */
  close(): Promise<void>;
}

function modeOf(opts: CliOptions): string {
  return opts.pluginMode ?? 'sync';
}

function pathsFor(config: Config, opts: CliOptions, root: BytePath): StatePaths {
  return statePaths({ stateDir: config.extensions.stateDir, root, configFile: opts.configFile, mode: modeOf(opts) });
}

export function readWatchLimit(): number | null {
  try {
    const n = Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

export async function prepareOps(config: Config, opts: CliOptions, root: BytePath, log: Logger): Promise<OpsHandle> {
  const metricsAddr = opts.metrics === null ? null : parseListenAddress(opts.metrics);
  if (metricsAddr && 'error' in metricsAddr) throw new InstanceError(metricsAddr.error);

  const paths = pathsFor(config, opts, root);
  const configAbs = path.resolve(opts.configFile);
  const claim = claimInstance({
    paths,
    pidFile: opts.pidFile,
    configFile: configAbs,
    rootText: display(root),
    onNote: (m) => log.warn(m),
  });
  const startedAt = Date.now();
  const counter = new FailLogCounter(config);
  let engine: Engine | null = null;

  const snapshot = (): StatusDocument => {
    if (!engine) throw new Error('still starting (building the watches)');
    return buildStatusDocument({
      engine: engine.status(),
      failLog: counter.count(),
      failLogPath: display(config.failLog.path),
      watchLimit: readWatchLimit(),
      startedAt,
      now: Date.now(),
      pid: process.pid,
      mode: modeOf(opts),
      config: configAbs,
    });
  };

  let status: StatusServer | null = null;
  let metricsServer: MetricsServer | null = null;
  let metrics: Metrics | null = null;
  try {
    try {
      status = await startStatusServer(paths.statusSocket, snapshot);
      claim.addCleanup(paths.statusSocket);
    } catch (e) {
      // Not worth refusing to sync over: say it and go on without --status.
      log.warn(`no status endpoint (--status will not work): ${(e as Error).message}`);
    }
    if (metricsAddr) {
      metrics = new Metrics();
      try {
        metricsServer = await startMetricsServer(metricsAddr, metrics, snapshot);
      } catch (e) {
        throw new InstanceError(`--metrics ${opts.metrics}: cannot listen: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    await status?.close();
    claim.release();
    throw e;
  }

  log.info(
    `pid ${process.pid}, pid file ${claim.pidFile}` +
      `${status ? `, status socket ${status.path}` : ''}` +
      `${metricsServer ? `, metrics on http://${fmtHost(metricsServer.address.host)}:${metricsServer.address.port}/metrics` : ''}`,
  );

  return {
    claim,
    metrics,
    attach(e) {
      engine = e;
      // logrotate: the logger reopens its file on SIGHUP (service.ts); this line
      // lands in the new file and shows the reopen worked.
      process.on('SIGHUP', () =>
        setImmediate(() => log.info(opts.logFile ? 'SIGHUP: log file reopened' : 'SIGHUP: no --log-file, nothing to reopen')),
      );
      daemonReady();
    },
    fullSyncDone(remote, durationMs) {
      metrics?.observeFullSync(remote, durationMs / 1000);
    },
    async close() {
      await Promise.all([status?.close(), metricsServer?.close()]);
      claim.release();
    },
  };
}

function fmtHost(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}

/** `sersync2 --status -o confxml.xml`: ask the running daemon, print its state. Returns the exit code. */
export async function runStatusCommand(
  config: Config,
  opts: CliOptions,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  // The same root as the daemon computes in engine/service.ts.
  const plugin = opts.pluginMode ?? (config.plugin.enabled ? config.plugin.name : undefined);
  const root = effectiveWatchRoot(config, { plugin, pluginOnly: opts.pluginMode !== null });
  const paths = pathsFor(config, opts, root);
  try {
    const doc = await queryStatus(paths.statusSocket);
    out(formatStatus(doc));
    return 0;
  } catch (e) {
    if (!(e instanceof NoDaemonError)) {
      err(`sersync2: ${(e as Error).message}\n`);
      return 1;
    }
    const holder = readLock(paths.rootLock);
    const alive = holder !== null && sameProcessAlive(holder.pid, holder.startTime);
    const what = `${opts.pluginMode ? `-m ${opts.pluginMode} ` : ''}config ${opts.configFile} (watch root ${display(root)})`;
    if (alive && e.code !== 'ENOENT' && e.code !== 'ECONNREFUSED') {
      err(`sersync2: the sersync-ts daemon for ${what} (pid ${holder.pid}) does not answer: ${e.message}\n`);
    } else if (alive) {
      err(`sersync2: sersync-ts pid ${holder.pid} holds the lock for ${what} but has no status socket at ${paths.statusSocket} (still starting?)\n`);
    } else {
      err(`sersync2: no sersync-ts daemon is running for ${what}: ${e.message}\n`);
    }
    return 1;
  }
}
