// The command line: parse, load and validate the config, then hand over to the
// mode asked for. Every user error ends here as one clear line and sersync2's
// exit code — never a stack trace.
import { describeConfig, formatSersync2XmlError, loadConfig, validatePluginFor } from '../config/load.js';
import { type Config, ConfigError } from '../config/types.js';
import { initDaemonChild, isDaemonChild, runDaemonParent } from '../daemon/daemonize.js'; // ops (issue 8)
import { runStatusCommand } from '../ops/attach.js'; // ops (issue 8)
import { parseArgs, type CliOptions } from './args.js';
import { printStartupBanner, printConfigBanner } from './banner.js';
import { helpText, VERSION } from './help.js';

const out = (s: string): void => void process.stdout.write(s);
const err = (s: string): void => void process.stderr.write(s);

/** Returns the exit code, or null when a long-running mode was started. */
export async function run(argv: string[]): Promise<number | null> {
  const argv0 = 'sersync2';
  const parsed = parseArgs(argv, argv0);
  if (!parsed.ok) {
    out(parsed.stdout);
    err(parsed.stderr);
    return parsed.exitCode;
  }
  const opts = parsed.options;
  if (opts.help) {
    out(helpText(argv0));
    return 0;
  }
  if (opts.version) {
    out(`sersync-ts ${VERSION}\n`);
    return 0;
  }

  // ops (issue 8): the `-d` child reports how its start-up went to the waiting parent.
  if (opts.daemon && isDaemonChild()) initDaemonChild({ logFile: opts.logFile });
  const quiet = opts.status || opts.replayFailLog;
  if (!quiet && !opts.check) printStartupBanner(opts, out);

  let config: Config;
  try {
    config = loadConfig(opts.configFile);
    const pluginInUse = opts.pluginMode ?? (config.plugin.enabled ? config.plugin.name : null);
    if (pluginInUse) validatePluginFor(config, pluginInUse);
  } catch (e) {
    return reportConfigError(e, opts);
  }

  if (opts.check) {
    out(describeConfig(config));
    out(`\n${opts.configFile}: OK\n`);
    return 0;
  }
  if (!quiet) printConfigBanner(config, opts, out);
  // --- ops (issue 8): --status asks the running daemon; -d hands over to a detached child ---
  if (opts.status) return runStatusCommand(config, opts, out, err);
  if (opts.daemon && !isDaemonChild() && !opts.replayFailLog) {
    return runDaemonParent({ argv, logFile: opts.logFile, out, err });
  }
  // --- end ops ---
  // --- fail log (issue 5): --replay-faillog replays once (cron), under the same lock as the daemon's replay ---
  if (opts.replayFailLog) {
    const { replayFailLogOnce } = await import('../faillog/replay.js');
    const { createLogger } = await import('../log/logger.js');
    const log = createLogger({ level: config.debug ? 'debug' : 'info', format: opts.logFormat, file: opts.logFile });
    try {
      return await replayFailLogOnce(config, log, out);
    } finally {
      await log.close();
    }
  }
  // --- end fail log ---

  try {
    // Loaded here, not at the top: `-d`'s parent, --check and --status never need the engine.
    const { startService } = await import('../engine/service.js');
    return await startService(config, opts);
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === 'EngineStartError' || e instanceof ConfigError || (e as { userError?: boolean }).userError) {
      err(`sersync2: ${(e as Error).message}\n`);
      return (e as ConfigError).exitCode ?? 1;
    }
    throw e;
  }
}

function reportConfigError(e: unknown, opts: CliOptions): number {
  if (!(e instanceof ConfigError)) throw e;
  const x = e as ConfigError & { xmlDetail?: string; line?: number; column?: number };
  if (x.exitCode === 255 && x.xmlDetail !== undefined) {
    // sersync2's own block on stdout (scripts grep for it), then our one-line reason.
    out(formatSersync2XmlError(opts.configFile, x.xmlDetail, x.line ?? 0, x.column ?? 0));
  }
  err(`sersync2: ${x.message}\n`);
  return x.exitCode;
}
