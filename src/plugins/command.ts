// The command plugin (spec §7.1): run `prefix <absolute path> suffix` for each
// event. sersync2 pasted the path into a system() string unquoted, so a file
// name could run anything (§9.1). Here prefix and suffix are split into argv
// words once (the way sh would split them) and the path is one argv element
// of its own; no shell is ever involved, so `x;touch INJECTED` is just a name.
//
// Commands run in the background with bounded concurrency and a timeout:
// handle() only queues, so a slow hook never holds up rsync.
import { execa } from 'execa';
import type { CommandPluginConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { type BytePath, display, isValidUtf8, toArg } from '../util/bytepath.js';
import { splitShellWords } from '../util/shellwords.js';
import { shQuote } from '../util/shquote.js';
import { Limiter } from './limiter.js';
import type { Plugin, PluginEvent } from './types.js';

export interface CommandPluginOptions {
  debug: boolean;
  log: Logger;
  /** Commands running at once. Default 4. */
  concurrency?: number;
  /** A command still running after this long is killed (SIGTERM, then SIGKILL 2 s later). Default 60 000. */
  timeoutMs?: number;
  /** Commands waiting to start; beyond this, events are dropped (and counted). Default 10 000. */
  maxQueued?: number;
  /** close() waits this long for queued and running commands before killing them. Default 5 000. */
  closeGraceMs?: number;
}

/** True when the event passes the include filter: some rule matches the whole absolute path. */
export function commandIncludes(cfg: CommandPluginConfig, abs: BytePath): boolean {
  if (!cfg.filter.enabled) return true;
  return cfg.filter.includes.some((rule) => {
    rule.regex.lastIndex = 0; // a /g or /y flag must not make test() stateful
    return rule.regex.test(abs);
  });
}

/** prefix / suffix as argv words (byte strings): from the config when it split them, else split here. */
export function commandWords(cfg: CommandPluginConfig): { prefix: BytePath[]; suffix: BytePath[] } {
  return {
    prefix: cfg.prefixArgs ?? splitShellWords(cfg.prefix),
    suffix: cfg.suffixArgs ?? splitShellWords(cfg.suffix),
  };
}

/**
 * The argv for one event: prefix words, the absolute path as ONE element,
 * suffix words. All are byte strings; the caller converts them with toArg.
 * With an empty prefix the path itself is the program, as in sersync2
 * (`system(" /data/www/p.txt SUF")`).
 */
export function commandArgv(words: { prefix: BytePath[]; suffix: BytePath[] }, abs: BytePath): BytePath[] {
  return [...words.prefix, abs, ...words.suffix];
}

/** The command line as text for logs, quoted for sh so it can be copied and re-run. */
export function commandLineText(argv: BytePath[]): string {
  return display(argv.map((a) => shQuote(a)).join(' '));
}

export function createCommandPlugin(cfg: CommandPluginConfig, opts: CommandPluginOptions): Plugin {
  const log = opts.log;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const limiter = new Limiter({ concurrency: opts.concurrency ?? 4, maxQueued: opts.maxQueued ?? 10_000 });
  const running = new Set<{ kill(signal?: NodeJS.Signals): boolean }>();
  const counts = {
    events: 0,
    filtered: 0,
    started: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    skippedNonUtf8: 0,
    dropped: 0,
  };

  // Split once: a prefix that cannot be split is a config problem; it is
  // reported once here and then every event is skipped.
  let words: { prefix: BytePath[]; suffix: BytePath[] } | null = null;
  try {
    words = commandWords(cfg);
    for (const w of [...words.prefix, ...words.suffix]) toArg(w);
  } catch (e) {
    log.error(`command plugin: cannot use prefix/suffix (${(e as Error).message}); no command will run — fix <plugin name="command"><param prefix suffix>`);
    words = null;
  }
  let dropWarned = false;

  async function run(argv: BytePath[]): Promise<void> {
    const [file, ...args] = argv.map(toArg) as [string, ...string[]];
    const line = commandLineText(argv);
    // sersync2 printed each command in debug mode (§2.5 item 5).
    if (opts.debug) log.info(`command plugin: ${line}`);
    counts.started++;
    const child = execa(file, args, {
      reject: false,
      shell: false,
      stdin: 'ignore',
      // ignoreError="true" was sersync2's `>/dev/null 2>&1`; otherwise the
      // hook's output went to sersync's own stdout/stderr, and still does.
      stdout: cfg.ignoreError ? 'ignore' : 'inherit',
      stderr: cfg.ignoreError ? 'ignore' : 'inherit',
      timeout: timeoutMs,
      forceKillAfterDelay: 2000,
      windowsHide: true,
    });
    running.add(child);
    try {
      const r = await child;
      if (r.timedOut) {
        counts.timedOut++;
        counts.failed++;
        log.warn(`command plugin: ${line} still running after ${timeoutMs} ms; killed`);
      } else if (r.failed) {
        counts.failed++;
        if (!cfg.ignoreError) {
          const why =
            r.exitCode !== undefined
              ? `exited with ${r.exitCode}`
              : r.signal
                ? `was killed by ${r.signal}`
                : `could not start (${r.code ?? r.shortMessage ?? 'error'})`;
          log.warn(`command plugin: ${line} ${why}`);
        }
      } else {
        counts.succeeded++;
      }
    } finally {
      running.delete(child);
    }
  }

  return {
    name: 'command',
    handle(ev: PluginEvent): void {
      counts.events++;
      if (!words) return;
      if (!commandIncludes(cfg, ev.abs)) {
        counts.filtered++;
        return;
      }
      const argv = commandArgv(words, ev.abs);
      if (!isValidUtf8(ev.abs)) {
        // Node passes argv as UTF-8 text; these bytes cannot be one argument.
        counts.skippedNonUtf8++;
        log.warn(`command plugin: skipped ${display(ev.abs)}: the name is not valid UTF-8, so it cannot be passed as a command argument`);
        return;
      }
      if (!limiter.submit(() => run(argv))) {
        counts.dropped++;
        if (!dropWarned) {
          dropWarned = true;
          log.warn(`command plugin: too many commands waiting (${limiter.queued}); dropping events until the queue drains`);
        }
        return;
      }
      if (limiter.queued === 0) dropWarned = false;
    },
    async close(): Promise<void> {
      limiter.close(false);
      const graceMs = opts.closeGraceMs ?? 5000;
      if (await limiter.whenIdle(graceMs)) return;
      const dropped = limiter.close(true);
      counts.dropped += dropped;
      for (const c of running) c.kill('SIGTERM');
      await limiter.whenIdle(3000);
      if (dropped > 0 || running.size > 0) {
        log.warn(`command plugin: stopped with ${dropped} command(s) not run and ${running.size} still running`);
      }
    },
    stats(): Record<string, number> {
      return { ...counts, running: limiter.active, queued: limiter.queued };
    },
  };
}
