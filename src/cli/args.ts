// Command-line parsing: sersync2's getopt string `hdro:n:m:` (grouping, last
// one wins, non-options ignored) plus sersync-ts long options. Pure: returns
// either the parsed options or a usage error; printing is the caller's job.

export type PluginModeName = 'command' | 'socket' | 'refreshCDN' | 'http';

export interface CliOptions {
  daemon: boolean;
  fullSyncAtStart: boolean;
  /** Worker count per remote (`-n`; 0 / non-numeric / negative → 10). */
  threads: number;
  /** `-n` as typed, for the start-up line. */
  threadsRaw: string | null;
  configFile: string;
  /** `-m NAME`: run one plugin alone, no rsync. */
  pluginMode: PluginModeName | null;
  help: boolean;
  version: boolean;
  check: boolean;
  dryRun: boolean;
  replayFailLog: boolean;
  status: boolean;
  pidFile: string | null;
  logFile: string | null;
  logFormat: 'text' | 'json';
  metrics: string | null;
  /** Reproduce sersync2 bugs that users may depend on (stale rename paths, …). */
  compat: boolean;
  /** The options in argv order, for sersync2's `option: -x …` start-up lines. */
  seen: Array<{ flag: string; arg?: string }>;
}

export type ParseResult =
  | { ok: true; options: CliOptions }
  | { ok: false; exitCode: number; stderr: string; stdout: string };

const LONG_WITH_ARG = new Set(['pid-file', 'log-file', 'log-format', 'metrics', 'config']);
const LONG_FLAGS = new Set(['help', 'version', 'check', 'dry-run', 'replay-faillog', 'status', 'compat']);

/** C atoi: optional sign, leading digits, anything else stops; no digits → 0. */
export function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1], 10) : 0;
}

function defaults(): CliOptions {
  return {
    daemon: false,
    fullSyncAtStart: false,
    threads: 10,
    threadsRaw: null,
    configFile: 'confxml.xml',
    pluginMode: null,
    help: false,
    version: false,
    check: false,
    dryRun: false,
    replayFailLog: false,
    status: false,
    pidFile: null,
    logFile: null,
    logFormat: 'text',
    metrics: null,
    compat: false,
    seen: [],
  };
}

function badOption(argv0: string, c: string, missingArg: boolean): ParseResult {
  const getoptLine = missingArg
    ? `${argv0}: option requires an argument -- '${c}'`
    : `${argv0}: invalid option -- '${c}'`;
  return {
    ok: false,
    exitCode: 1,
    stderr: `${getoptLine}\nTry '${argv0} -h' for the list of options.\n`,
    // sersync2 prints this line on stdout (spec §1.1).
    stdout: `命令行参数错误: 没有该选项-${c}\n`,
  };
}

function usageError(argv0: string, message: string): ParseResult {
  return { ok: false, exitCode: 1, stderr: `${argv0}: ${message}\n`, stdout: '' };
}

export function parseArgs(argv: string[], argv0 = 'sersync2'): ParseResult {
  const o = defaults();
  const pluginModes: PluginModeName[] = [];
  let i = 0;

  const applyShort = (c: string, arg?: string): ParseResult | null => {
    switch (c) {
      case 'h':
        o.help = true;
        break;
      case 'd':
        o.daemon = true;
        break;
      case 'r':
        o.fullSyncAtStart = true;
        break;
      case 'o':
        o.configFile = arg ?? '';
        break;
      case 'n': {
        o.threadsRaw = arg ?? '';
        const n = atoi(arg ?? '');
        o.threads = n > 0 ? n : 10;
        break;
      }
      case 'm': {
        const name = arg ?? '';
        if (name !== 'command' && name !== 'socket' && name !== 'refreshCDN' && name !== 'http') {
          return {
            ok: false,
            exitCode: 1,
            stdout: '模块名称错误\n',
            stderr: `${argv0}: -m: unknown plugin '${name}'; use one of: command, socket, refreshCDN, http\n`,
          };
        }
        pluginModes.push(name);
        break;
      }
    }
    o.seen.push(arg === undefined ? { flag: c } : { flag: c, arg });
    return null;
  };

  while (i < argv.length) {
    const a = argv[i++];
    if (a === '--') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      let value: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
      if (LONG_FLAGS.has(name)) {
        if (value !== undefined) return usageError(argv0, `option '--${name}' takes no value`);
        if (name === 'help') o.help = true;
        else if (name === 'version') o.version = true;
        else if (name === 'check') o.check = true;
        else if (name === 'dry-run') o.dryRun = true;
        else if (name === 'replay-faillog') o.replayFailLog = true;
        else if (name === 'status') o.status = true;
        else if (name === 'compat') o.compat = true;
        continue;
      }
      if (LONG_WITH_ARG.has(name)) {
        if (value === undefined) {
          if (i >= argv.length) return usageError(argv0, `option '--${name}' requires a value`);
          value = argv[i++];
        }
        if (name === 'pid-file') o.pidFile = value;
        else if (name === 'log-file') o.logFile = value;
        else if (name === 'metrics') o.metrics = value;
        else if (name === 'config') o.configFile = value;
        else if (name === 'log-format') {
          if (value !== 'text' && value !== 'json') {
            return usageError(argv0, `--log-format must be 'text' or 'json', not '${value}'`);
          }
          o.logFormat = value;
        }
        continue;
      }
      return usageError(argv0, `unrecognized option '--${name}'; see '${argv0} --help'`);
    }
    if (a.length < 2 || a[0] !== '-') continue; // non-option arguments are ignored, as getopt does
    // A group of short options: `-dro conf.xml`, `-rn5`.
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if ('hdr'.includes(c)) {
        const r = applyShort(c);
        if (r) return r;
        continue;
      }
      if ('onm'.includes(c)) {
        let arg: string;
        if (j + 1 < a.length) arg = a.slice(j + 1);
        else if (i < argv.length) arg = argv[i++];
        else return badOption(argv0, c, true);
        const r = applyShort(c, arg);
        if (r) return r;
        break;
      }
      return badOption(argv0, c, false);
    }
  }

  if (o.seen.some((s) => s.flag === 'o') && o.configFile === '') {
    return { ok: false, exitCode: 1, stdout: 'ERROR config file name empty\n', stderr: `${argv0}: -o needs a file name\n` };
  }
  // sersync2 accumulates -m flags and picks refreshCDN, then socket, then command.
  for (const name of ['refreshCDN', 'socket', 'command', 'http'] as const) {
    if (pluginModes.includes(name)) {
      o.pluginMode = name;
      break;
    }
  }
  return { ok: true, options: o };
}
