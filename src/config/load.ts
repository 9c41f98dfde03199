// confxml.xml → Config (spec §2). The file is read as raw bytes and decoded
// as latin1, so every value is a byte string (see util/bytepath.ts).
//
// Compatibility rules (spec "How sersync-ts should treat this"):
// * every file sersync2 accepts is accepted and means the same;
// * where sersync2 crashes on a missing element/attribute, the recommended
//   default of §2.2 is used (and one warning lists what was defaulted);
// * documented differences, all errors instead of silent misbehaviour:
//   invalid main-filter regexes (sersync2 skips them), a non-numeric or
//   negative failLog@timeToExecute (sersync2: 0 = replay every idle minute),
//   commonParams that cannot be split into words without a shell;
// * plugin sections are only checked when the plugin is used (sersync2 only
//   parses them then): validatePluginFor, called here for <sersync><plugin>
//   and by the CLI for `-m NAME`.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromText, display, type BytePath } from '../util/bytepath.js';
import { splitShellWords } from '../util/shellwords.js';
import { compileBoostRegex } from './regex.js';
import { quoteValue } from './text.js';
import { attr, child, childrenNamed, parseXmlDocument, XmlSyntaxError, type XmlElement } from './xml.js';
import {
  ConfigError,
  type CommandPluginConfig,
  type Config,
  type CrontabSettings,
  type ExcludeRule,
  type Extensions,
  type FailLogSettings,
  type HttpPluginConfig,
  type InotifyToggles,
  type RefreshCdnPluginConfig,
  type Remote,
  type RsyncSettings,
  type SocketPluginConfig,
} from './types.js';

export { describeConfig } from './describe.js';

export interface LoadOptions {
  /** Directory that relative paths (failLog, stateDir) are resolved against; default process.cwd(). */
  cwd?: string;
  /** Environment for defaults (SERSYNC_TS_STATE_DIR); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** User id for the stateDir default; default process.getuid(). */
  uid?: number;
}

export const DEFAULT_FAIL_LOG = '/tmp/rsync_fail_log.sh';
export const DEFAULT_COMMON_PARAMS = '-artuz';
export const KNOWN_PLUGINS = ['command', 'socket', 'refreshCDN', 'http'] as const;

/** sersync2's texts (spec §1.3), kept so that users and scripts recognise them. */
export const MSG = {
  noLocalPath: 'ERROR,You must specify the watch localpath',
  emptyWatch: "the path your watch don't exists",
  noRemote: 'error there are no remote servers in your config xml',
  emptyRemote: 'error remote servers ip and moudle empty see config xml',
  badPlugin: 'sersync plugin error，please confirm the config xml',
  badModule: '模块名称错误',
  commandRegex: 'plugin command regular expression error',
  emptyAttr: '配置文件错误，一些xml属性不应为空，请检查',
} as const;

/**
 * sersync2's XML error block (XMLNode::openFileHelper), byte for byte:
 * `XML Parsing error inside file '%s'.\n%s\nAt line %i, column %i.\n`, plus
 * `First Tag should be 'head'.\n` for the first-tag error.
 */
export function formatSersync2XmlError(file: string, detail: string, line: number, col: number): string {
  let s = `XML Parsing error inside file '${file}'.\n${detail}\nAt line ${line}, column ${col}.\n`;
  if (detail === 'Error: First Tag not found') s += "First Tag should be 'head'.\n";
  return s;
}

// --- small helpers ----------------------------------------------------------------

/** C atoi: optional blanks, optional sign, digits; 0 when there are none. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const n = parseInt(m[1]!, 10);
  return Number.isFinite(n) ? n : 0;
}

/** One trailing '/' removed (Initialize::SplitLastSlash); "/" itself is kept. */
export function stripOneSlash(p: BytePath): BytePath {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

const q = quoteValue;

class Ctx {
  readonly warnings: string[] = [];
  readonly defaulted: string[] = [];
  constructor(readonly file: string) {}
  where(el?: XmlElement): string {
    return el ? `${this.file}:${el.line}:${el.col}` : this.file;
  }
  fail(el: XmlElement | undefined, text: string): never {
    throw new ConfigError(`${this.where(el)}: ${text}`, 1);
  }
  warn(el: XmlElement | undefined, text: string): void {
    this.warnings.push(`${this.where(el)}: ${text}`);
  }
  /** A switch (spec §2.3): on only for exactly "true"; warns on near misses like "True". */
  on(el: XmlElement | undefined, name: string, dflt: boolean, label: string): boolean {
    if (!el) return dflt;
    const v = attr(el, name);
    if (v === undefined) {
      this.defaulted.push(`${label}@${name} (${dflt})`);
      return dflt;
    }
    if (v !== 'true' && /^\s*(true|yes|on|1)\s*$/i.test(v)) {
      this.warn(el, `${label} ${name}=${q(v)} means OFF: only the exact value "true" turns a switch on (as in sersync2)`);
    }
    return v === 'true';
  }
  /** A required-by-sersync2 attribute; `dflt` when missing (recorded for the summary warning). */
  str(el: XmlElement | undefined, name: string, dflt: string, label: string): string {
    if (!el) return dflt;
    const v = attr(el, name);
    if (v === undefined) {
      this.defaulted.push(`${label}@${name} (${JSON.stringify(dflt)})`);
      return dflt;
    }
    return v;
  }
}

function warnUnknownChildren(ctx: Ctx, el: XmlElement, known: string[], label: string): void {
  for (const c of el.children) {
    if (!known.includes(c.name)) ctx.warn(c, `unknown element <${c.name}> inside <${label}> ignored (sersync2 ignores it too; a typo?)`);
  }
}

/**
 * The `exclude`/`include` children of a list element. sersync2 counts them
 * and then reads the first k children of ANY name (spec §2.1); sersync-ts reads
 * the named children only and warns when other elements are mixed in.
 */
function listExpressions(ctx: Ctx, list: XmlElement, itemName: string, label: string): Array<{ expr: BytePath; el: XmlElement }> {
  const out: Array<{ expr: BytePath; el: XmlElement }> = [];
  const others = list.children.filter((c) => c.name !== itemName);
  if (others.length > 0) {
    ctx.warn(
      others[0],
      `<${label}> contains <${others.map((o) => o.name).join('>, <')}> besides <${itemName}>: sersync-ts reads only the <${itemName}> elements; sersync2 would read the first ${list.children.length - others.length} children by position and could pick the wrong ones or crash`,
    );
  }
  for (const item of list.children) {
    if (item.name !== itemName) continue;
    const expr = attr(item, 'expression');
    if (expr === undefined) {
      ctx.warn(item, `<${itemName}> inside <${label}> has no expression="…" attribute: ignored (sersync2 would crash)`);
      continue;
    }
    out.push({ expr, el: item });
  }
  return out;
}

function compileRule(ctx: Ctx, expr: BytePath, el: XmlElement, label: string): ExcludeRule {
  try {
    return { expression: expr, regex: compileBoostRegex(expr) };
  } catch (err) {
    return ctx.fail(
      el,
      `invalid regular expression ${q(expr)} in ${label}: ${(err as Error).message} — fix or remove it (sersync2 would skip it silently; sersync-ts refuses to run with a filter that does not do what it says)`,
    );
  }
}

// --- sections -----------------------------------------------------------------------

function readInotify(ctx: Ctx, head: XmlElement): InotifyToggles {
  const el = child(head, 'inotify');
  const defaults: InotifyToggles = {
    delete: true,
    createFolder: true,
    createFile: false,
    closeWrite: true,
    moveFrom: true,
    moveTo: true,
    attrib: false,
    modify: false,
  };
  if (!el) {
    ctx.defaulted.push('<inotify> (delete, createFolder, closeWrite, moveFrom, moveTo on)');
    return defaults;
  }
  const keys = Object.keys(defaults) as Array<keyof InotifyToggles>;
  warnUnknownChildren(ctx, el, keys.map((k) => k.toLowerCase()), 'inotify');
  const out = { ...defaults };
  for (const k of keys) {
    const c = child(el, k);
    if (!c) {
      ctx.defaulted.push(`<inotify><${k}> (${defaults[k]})`);
      continue;
    }
    out[k] = ctx.on(c, 'start', defaults[k], `<${k}>`);
  }
  return out;
}

function readRsync(ctx: Ctx, sersync: XmlElement): RsyncSettings {
  const el = child(sersync, 'rsync');
  if (el) warnUnknownChildren(ctx, el, ['commonparams', 'auth', 'userdefinedport', 'timeout', 'ssh'], 'rsync');
  else ctx.defaulted.push('<rsync> (commonParams -artuz, no auth/port/timeout/ssh)');
  const cp = el && child(el, 'commonparams');
  // Absent → -artuz; present but empty → nothing at all (spec §2.2: no fallback).
  const commonParams = cp ? ctx.str(cp, 'params', DEFAULT_COMMON_PARAMS, '<commonParams>') : DEFAULT_COMMON_PARAMS;
  if (el && !cp) ctx.defaulted.push('<commonParams> (-artuz)');
  let commonArgs: string[];
  try {
    commonArgs = splitShellWords(commonParams);
  } catch (err) {
    return ctx.fail(
      cp,
      `rsync/commonParams@params ${q(commonParams)} cannot be split into rsync arguments: ${(err as Error).message} (sersync-ts runs rsync without a shell; write the options as sh would read them, e.g. params="-az --bwlimit=100")`,
    );
  }

  const authEl = el && child(el, 'auth');
  const auth = {
    enabled: ctx.on(authEl, 'start', false, '<auth>'),
    users: authEl ? (attr(authEl, 'users') ?? '') : '',
    passwordFile: authEl ? (attr(authEl, 'passwordfile') ?? '') : '',
  };

  const portEl = el && child(el, 'userdefinedport');
  const portOn = ctx.on(portEl, 'start', false, '<userDefinedPort>');
  const port = portEl ? (attr(portEl, 'port') ?? '') : '';
  if (portOn && port === '') ctx.fail(portEl, `<userDefinedPort start="true"> needs port="N" (the rsync daemon port, e.g. 873) — add it or set start="false"`);
  if (portOn && !/^\d+$/.test(port)) ctx.warn(portEl, `userDefinedPort port=${q(port)} is not a number: rsync will reject every command (--port=${display(port)})`);

  const tmoEl = el && child(el, 'timeout');
  const tmoOn = ctx.on(tmoEl, 'start', false, '<timeout>');
  const time = tmoEl ? (attr(tmoEl, 'time') ?? '') : '';
  if (tmoOn && time === '') ctx.fail(tmoEl, `<timeout start="true"> needs time="SECONDS" (rsync --timeout) — add it or set start="false"`);
  if (tmoOn && !/^\d+$/.test(time)) ctx.warn(tmoEl, `timeout time=${q(time)} is not a number of seconds: rsync will reject every command (--timeout=${display(time)})`);

  const sshEl = el && child(el, 'ssh');
  const ssh = ctx.on(sshEl, 'start', false, '<ssh>');

  if (ssh && auth.enabled && auth.passwordFile !== '') {
    ctx.warn(
      authEl,
      `<auth start="true"> with <ssh start="true">: rsync refuses --password-file over ssh ("may only be used when accessing an rsync daemon"), so every transfer will fail — use ssh keys and set auth start="false", or turn ssh off to talk to an rsync daemon`,
    );
  }
  return {
    commonParams,
    commonArgs,
    auth,
    userDefinedPort: { enabled: portOn, port },
    timeout: { enabled: tmoOn, time },
    ssh,
  };
}

function readFailLog(ctx: Ctx, sersync: XmlElement, cwd: BytePath): FailLogSettings {
  const el = child(sersync, 'faillog');
  if (!el) ctx.defaulted.push(`<failLog> (${DEFAULT_FAIL_LOG}, every 60 minutes)`);
  let p = el ? attr(el, 'path') : undefined;
  if (el && p === undefined) ctx.defaulted.push(`<failLog>@path (${DEFAULT_FAIL_LOG})`);
  if (p === '') {
    ctx.warn(el, `failLog path="" — sersync2 would write to an empty file name (broken); sersync-ts uses ${DEFAULT_FAIL_LOG}`);
  }
  if (!p) p = DEFAULT_FAIL_LOG;
  const resolved = path.posix.resolve(cwd, p);

  const raw = el ? attr(el, 'timetoexecute') : undefined;
  let intervalSeconds: number;
  if (raw === undefined) {
    if (el) ctx.defaulted.push('<failLog>@timeToExecute (60)');
    intervalSeconds = 3600;
  } else if (raw === '') {
    intervalSeconds = 7200; // sersync2 keeps its internal 7200 s (spec §2.2)
  } else if (/^\s*\+?\d+\s*$/.test(raw)) {
    intervalSeconds = parseInt(raw, 10) * 60;
    if (intervalSeconds === 0) ctx.warn(el, 'failLog timeToExecute="0": the fail log is replayed at every idle minute');
  } else if (/^\s*-\d+\s*$/.test(raw)) {
    return ctx.fail(el, `failLog@timeToExecute=${q(raw)} is negative — use a whole number of minutes (e.g. timeToExecute="60")`);
  } else {
    return ctx.fail(
      el,
      `failLog@timeToExecute=${q(raw)} is not a whole number of minutes — use e.g. timeToExecute="60" (sersync2 would read it as 0 and replay the fail log every minute; sersync-ts refuses)`,
    );
  }
  return { path: resolved, intervalSeconds, timeToExecuteRaw: raw ?? '' };
}

function readCrontab(ctx: Ctx, sersync: XmlElement): CrontabSettings {
  const el = child(sersync, 'crontab');
  if (!el) ctx.defaulted.push('<crontab> (off)');
  const enabled = ctx.on(el, 'start', false, '<crontab>');
  const scheduleRaw = el ? (attr(el, 'schedule') ?? '') : '';
  let scheduleMinutes = atoi(scheduleRaw);
  if (scheduleMinutes <= 0) {
    if (enabled) {
      ctx.warn(el, `crontab schedule=${q(scheduleRaw)} is not a positive number of minutes: using 600 (as sersync2 does silently)`);
    }
    scheduleMinutes = 600;
  } else if (enabled && !/^\s*\+?\d+\s*$/.test(scheduleRaw)) {
    ctx.warn(el, `crontab schedule=${q(scheduleRaw)} read as ${scheduleMinutes} minutes (the rest is ignored, as in sersync2)`);
  }
  const fEl = el && child(el, 'crontabfilter');
  const fOn = fEl ? ctx.on(fEl, 'start', false, '<crontabfilter>') : false;
  const excludes = fEl && fOn ? listExpressions(ctx, fEl, 'exclude', 'crontabfilter').map((x) => x.expr) : [];
  return { enabled, scheduleMinutes, scheduleRaw, filter: { enabled: fOn, excludes } };
}

function pluginSection(head: XmlElement, name: string): XmlElement | undefined {
  // All <plugin> children of <head>, first whose name matches exactly (spec §2.2).
  return childrenNamed(head, 'plugin').find((p) => attr(p, 'name') === name);
}

function splitOrUndefined(s: string): string[] | undefined {
  try {
    return splitShellWords(s);
  } catch {
    return undefined;
  }
}

function readCommandPlugin(ctx: Ctx, head: XmlElement): CommandPluginConfig {
  const sec = pluginSection(head, 'command');
  const problems: string[] = [];
  const param = sec && child(sec, 'param');
  const prefix = param ? (attr(param, 'prefix') ?? '/bin/sh') : '/bin/sh';
  const suffix = param ? (attr(param, 'suffix') ?? '') : '';
  const ignoreError = param ? attr(param, 'ignoreerror') === 'true' : false;
  const prefixArgs = splitOrUndefined(prefix);
  const suffixArgs = splitOrUndefined(suffix);
  if (!prefixArgs || !suffixArgs) {
    const [n, v] = !prefixArgs ? ['prefix', prefix] : ['suffix', suffix];
    problems.push(`${ctx.where(param)}: plugin[name=command]/param@${n} ${q(v)} cannot be split into arguments (unbalanced quote or shell syntax) — sersync-ts runs the command without a shell; write it as plain words`);
  }
  const fEl = sec && child(sec, 'filter');
  const fOn = fEl ? ctx.on(fEl, 'start', false, '<plugin name="command"><filter>') : false;
  const includes: ExcludeRule[] = [];
  if (fEl && fOn) {
    for (const { expr, el } of listExpressions(ctx, fEl, 'include', 'plugin command filter')) {
      try {
        includes.push({ expression: expr, regex: compileBoostRegex(expr) });
      } catch (err) {
        problems.push(
          `${ctx.where(el)}: ${MSG.commandRegex} — plugin[name=command]/filter/include@expression ${q(expr)} is not a valid regular expression: ${(err as Error).message}`,
        );
      }
    }
  }
  // prefixArgs/suffixArgs stay undefined when they cannot be split, so that a
  // consumer that skipped validatePluginFor re-splits and meets the error.
  // An empty prefix is allowed: as in sersync2, the path itself is then run.
  return { prefix, suffix, ignoreError, filter: { enabled: fOn, includes }, prefixArgs, suffixArgs, problems };
}

function emptyAttrProblem(ctx: Ctx, el: XmlElement | undefined, sec: XmlElement, what: string, how: string): string {
  return `${ctx.where(el ?? sec)}: ${MSG.emptyAttr} — ${what} must not be empty; ${how}`;
}

function readSocketPlugin(ctx: Ctx, head: XmlElement): SocketPluginConfig | null {
  const sec = pluginSection(head, 'socket');
  if (!sec) return null;
  const problems: string[] = [];
  const lp = child(sec, 'localpath');
  const watch = lp ? (attr(lp, 'watch') ?? '') : '';
  const dh = lp && child(lp, 'deshost');
  const ip = dh ? (attr(dh, 'ip') ?? '') : '';
  const portRaw = dh ? (attr(dh, 'port') ?? '') : '';
  const port = /^\s*\d+\s*$/.test(portRaw) ? parseInt(portRaw, 10) : NaN;
  if (watch === '') problems.push(emptyAttrProblem(ctx, lp, sec, 'plugin[name=socket]/localpath@watch', 'write <localpath watch="/dir/to/watch"> inside <plugin name="socket">'));
  if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(ip) || ip.split('.').some((o) => Number(o) > 255)) {
    problems.push(
      ip === ''
        ? emptyAttrProblem(ctx, dh, sec, 'plugin[name=socket]/localpath/deshost@ip', 'give the IPv4 address to send event paths to, e.g. <deshost ip="127.0.0.1" port="8009"/>')
        : `${ctx.where(dh)}: plugin[name=socket]/localpath/deshost@ip ${q(ip)} is not an IPv4 address (sersync2 accepts only IPv4 literals) — e.g. ip="127.0.0.1"`,
    );
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    problems.push(
      portRaw === ''
        ? emptyAttrProblem(ctx, dh, sec, 'plugin[name=socket]/localpath/deshost@port', 'give the TCP port, e.g. port="8009"')
        : `${ctx.where(dh)}: plugin[name=socket]/localpath/deshost@port ${q(portRaw)} is not a TCP port (1-65535)`,
    );
  }
  return { watch, ip, port, problems };
}

function readRefreshCdnPlugin(ctx: Ctx, head: XmlElement): RefreshCdnPluginConfig | null {
  const sec = pluginSection(head, 'refreshCDN');
  if (!sec) return null;
  const problems: string[] = [];
  const lp = child(sec, 'localpath');
  const watchRaw = lp ? (attr(lp, 'watch') ?? '') : '';
  const cdn = lp && child(lp, 'cdninfo');
  const send = lp && child(lp, 'sendurl');
  const rx = lp && child(lp, 'regexurl');
  const get = (el: XmlElement | undefined, n: string): string => (el ? (attr(el, n) ?? '') : '');
  const domainName = get(cdn, 'domainname');
  const portRaw = get(cdn, 'port');
  const userName = get(cdn, 'username');
  const passwd = get(cdn, 'passwd');
  const sendUrlBase = get(send, 'base');
  const regexFlag = get(rx, 'regex');
  const match = get(rx, 'match');
  const required: Array<[string, XmlElement | undefined, string, string]> = [
    ['localpath@watch', lp, watchRaw, '<localpath watch="/dir/to/watch">'],
    ['cdninfo@domainname', cdn, domainName, 'domainname="ccms.chinacache.com"'],
    ['cdninfo@username', cdn, userName, 'username="…"'],
    ['cdninfo@passwd', cdn, passwd, 'passwd="…"'],
    ['sendurl@base', send, sendUrlBase, 'base="http://pic.example.com/cms"'],
    ['regexurl@regex', rx, regexFlag, 'regex="false" (or "true" to use match)'],
    ['regexurl@match', rx, match, 'match="…" (a regular expression; any non-empty value when regex="false")'],
  ];
  for (const [name, el, v, example] of required) {
    if (v === '') problems.push(emptyAttrProblem(ctx, el, sec, `plugin[name=refreshCDN]/${name.startsWith('localpath') ? '' : 'localpath/'}${name}`, `set it, e.g. ${example}`));
  }
  let port = atoi(portRaw);
  if (port < 1 || port > 65535) {
    problems.push(`${ctx.where(cdn ?? sec)}: plugin[name=refreshCDN]/localpath/cdninfo@port ${q(portRaw)} is not a TCP port (1-65535) — e.g. port="80"`);
    port = NaN;
  }
  const enabled = regexFlag === 'true';
  let regex: RegExp | null = null;
  if (enabled && match !== '') {
    try {
      regex = compileBoostRegex(match, { search: true });
    } catch (err) {
      problems.push(`${ctx.where(rx)}: plugin[name=refreshCDN]/localpath/regexurl@match ${q(match)} is not a valid regular expression: ${(err as Error).message}`);
    }
  }
  return {
    watch: stripOneSlash(watchRaw),
    domainName,
    port,
    userName,
    passwd,
    sendUrlBase,
    regexUrl: { enabled, match, regex },
    problems,
  };
}

function readHttpPlugin(ctx: Ctx, head: XmlElement): HttpPluginConfig | null {
  // Not in sersync2 2.5.x (spec §7.4); sersync-ts implements it as a webhook.
  const sec = pluginSection(head, 'http');
  if (!sec) return null;
  const problems: string[] = [];
  const lp = child(sec, 'localpath');
  const watch = lp ? (attr(lp, 'watch') ?? '') : '';
  const dh = lp && child(lp, 'deshost');
  const url = dh ? (attr(dh, 'url') ?? '') : '';
  const port = dh ? (attr(dh, 'port') ?? '') : '';
  if (watch === '') problems.push(emptyAttrProblem(ctx, lp, sec, 'plugin[name=http]/localpath@watch', 'write <localpath watch="/dir/to/watch"> inside <plugin name="http">'));
  if (url === '') {
    problems.push(emptyAttrProblem(ctx, dh, sec, 'plugin[name=http]/localpath/deshost@url', 'give the URL to POST events to, e.g. <deshost url="http://127.0.0.1:8080/hook"/>'));
  } else if (!/^https?:\/\/[^/]/i.test(url)) {
    problems.push(`${ctx.where(dh)}: plugin[name=http]/localpath/deshost@url ${q(url)} is not an http:// or https:// URL`);
  }
  return { watch: stripOneSlash(watch), url, port, problems };
}

function readExtensions(ctx: Ctx, head: XmlElement, cwd: BytePath, opts: LoadOptions): Extensions {
  const env = opts.env ?? process.env;
  const uid = opts.uid ?? (typeof process.getuid === 'function' ? process.getuid() : -1);
  const envDir = env.SERSYNC_TS_STATE_DIR;
  const defaultStateDir =
    envDir !== undefined && envDir !== '' ? fromText(envDir) : uid === 0 ? '/var/lib/sersync-ts' : fromText(path.join(os.tmpdir(), `sersync-ts-${uid}`));
  const ext: Extensions = {
    auditIntervalSeconds: 600,
    deleteGuardRatio: 0.5,
    quietMs: 30,
    stateDir: path.posix.resolve(cwd, defaultStateDir),
    maxBatch: 5000,
  };
  const el = child(head, 'sersyncts');
  if (!el) return ext;
  const known = ['auditinterval', 'deleteguard', 'quietms', 'statedir', 'maxbatch', 'retrybasems', 'retrymaxms'];
  for (const [k] of el.attrs) {
    if (!known.includes(k.toLowerCase())) ctx.warn(el, `unknown attribute sersyncts@${k} ignored (known: auditInterval, deleteGuard, quietMs, stateDir, maxBatch, retryBaseMs, retryMaxMs)`);
  }
  const int = (name: string, min: number, unit: string): number | undefined => {
    const v = attr(el, name);
    if (v === undefined) return undefined;
    if (!/^\s*\d+\s*$/.test(v) || parseInt(v, 10) < min) {
      ctx.fail(el, `sersyncts@${name}=${q(v)} is not valid — use a whole number of ${unit} ≥ ${min}`);
    }
    return parseInt(v, 10);
  };
  ext.auditIntervalSeconds = int('auditInterval', 0, 'seconds (0 = no periodic audit)') ?? ext.auditIntervalSeconds;
  ext.quietMs = int('quietMs', 0, 'milliseconds') ?? ext.quietMs;
  ext.maxBatch = int('maxBatch', 1, 'paths per rsync call') ?? ext.maxBatch;
  // Retry backoff (issue 5); left undefined when absent: the engine's defaults are 500 and 60000 ms.
  const retryBase = int('retryBaseMs', 1, 'milliseconds (first retry delay of a failing remote)');
  const retryMax = int('retryMaxMs', 1, 'milliseconds (longest retry delay of a failing remote)');
  if (retryBase !== undefined) ext.retryBaseMs = retryBase;
  if (retryMax !== undefined) ext.retryMaxMs = retryMax;
  if ((retryMax ?? 60_000) < (retryBase ?? 500)) {
    ctx.fail(el, `sersyncts@retryMaxMs=${q(String(retryMax ?? 60_000))} is below retryBaseMs=${q(String(retryBase ?? 500))} — the cap must be at least the first delay`);
  }
  const dg = attr(el, 'deleteGuard');
  if (dg !== undefined) {
    const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(dg) ? Number(dg) : NaN;
    if (!(n >= 0 && n <= 1)) ctx.fail(el, `sersyncts@deleteGuard=${q(dg)} is not valid — use a ratio between 0 and 1 (e.g. 0.5 = refuse to delete more than half of the remote)`);
    ext.deleteGuardRatio = n;
  }
  const sd = attr(el, 'stateDir');
  if (sd !== undefined) {
    if (sd === '') ctx.fail(el, 'sersyncts@stateDir is empty — give a directory for the journal and lock, or remove the attribute');
    ext.stateDir = path.posix.resolve(cwd, sd);
  }
  return ext;
}

// --- root ---------------------------------------------------------------------------

function findHead(top: XmlElement[]): XmlElement | undefined {
  return top.find((e) => e.name === 'head') ?? top.map((e) => child(e, 'head')).find((h) => h !== undefined);
}

function xmlError(file: string, text: string, detail: string, line: number, col: number): ConfigError {
  const where = line > 0 ? `${file}:${line}:${col}` : file;
  return new ConfigError(`${where}: XML error: ${text}`, 255, { detail, line, col });
}

function readDocument(file: string, abs: string): XmlElement {
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'file not found' : e.code === 'EISDIR' ? 'it is a directory' : `cannot read it (${e.code ?? e.message})`;
    throw xmlError(file, `${why} — give the config file with -o FILE (default ./confxml.xml)`, 'Error: File not found', 0, 0);
  }
  let top: XmlElement[];
  try {
    top = parseXmlDocument(bytes.toString('latin1'));
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    if (err.detail === 'Error: No XML data') {
      throw xmlError(file, 'the file is empty — start from confxml.xml.example', err.detail, 0, 0);
    }
    throw xmlError(file, err.reason, err.detail, err.line, err.col);
  }
  const head = findHead(top);
  if (!head) {
    const found = top.length > 0 ? `found <${top[0]!.name}>` : 'no element found';
    throw xmlError(file, `the root element must be <head> (${found}) — sersync2: "First Tag should be 'head'"`, 'Error: First Tag not found', 0, 0);
  }
  return head;
}

/**
 * Read and check confxml.xml. Throws ConfigError (exit 255 for XML problems,
 * 1 for the rest) with a one-line message naming the file, the element or
 * attribute, and the fix.
 */
export function loadConfig(file: string, opts: LoadOptions = {}): Config {
  const cwdText = opts.cwd ?? process.cwd();
  const cwd = fromText(path.resolve(cwdText));
  const head = readDocument(file, path.resolve(cwdText, file));
  const ctx: Ctx = new Ctx(file);

  warnUnknownChildren(ctx, head, ['host', 'debug', 'filesystem', 'filter', 'inotify', 'sersync', 'plugin', 'sersyncts'], 'head');

  const hostEl = child(head, 'host');
  if (!hostEl) ctx.defaulted.push('<host> (localhost:8008)');
  const host = {
    ip: ctx.str(hostEl, 'hostip', 'localhost', '<host>'),
    port: atoi(ctx.str(hostEl, 'port', '8008', '<host>')),
  };

  const debugEl = child(head, 'debug');
  if (!debugEl) ctx.defaulted.push('<debug> (off)');
  const debug = ctx.on(debugEl, 'start', false, '<debug>');

  const fsEl = child(head, 'filesystem');
  if (!fsEl) ctx.defaulted.push('<fileSystem> (xfs off)');
  const xfs = ctx.on(fsEl, 'xfs', false, '<fileSystem>');

  const filterEl = child(head, 'filter');
  if (!filterEl) ctx.defaulted.push('<filter> (off)');
  const filterOn = ctx.on(filterEl, 'start', false, '<filter>');
  const excludes: ExcludeRule[] =
    filterEl && filterOn
      ? listExpressions(ctx, filterEl, 'exclude', 'filter').map(({ expr, el }) => compileRule(ctx, expr, el, 'filter/exclude@expression'))
      : [];

  const inotify = readInotify(ctx, head);

  // <sersync>: the watch root and the remotes.
  const sersync = child(head, 'sersync');
  if (sersync) warnUnknownChildren(ctx, sersync, ['localpath', 'rsync', 'faillog', 'crontab', 'plugin'], 'sersync');
  const localpaths = sersync ? childrenNamed(sersync, 'localpath') : [];
  const lp0 = localpaths[0];
  if (!lp0) {
    ctx.fail(
      sersync ?? head,
      `${MSG.noLocalPath} — ${sersync ? '<sersync>' : '<head>'} has no <localpath>; add <sersync><localpath watch="/dir/to/watch"><remote ip="…" name="…"/></localpath></sersync>`,
    );
  }
  const watch = attr(lp0, 'watch') ?? '';
  if (watch === '') {
    ctx.fail(lp0, `${MSG.emptyWatch} — <localpath watch="…"> is ${attr(lp0, 'watch') === undefined ? 'missing' : 'empty'}; set it to the directory to mirror, e.g. watch="/data/www"`);
  }
  const localPath = stripOneSlash(watch);
  const ignoredLocalPaths: BytePath[] = [];
  for (const other of localpaths.slice(1)) {
    const w = stripOneSlash(attr(other, 'watch') ?? '');
    ignoredLocalPaths.push(w);
    ctx.warn(other, `second <localpath watch=${q(w)}> ignored: only the first <localpath> is used (as in sersync2) — run another sersync-ts with its own config for it`);
  }
  const remoteEls = childrenNamed(lp0, 'remote');
  if (remoteEls.length === 0) {
    ctx.fail(lp0, `${MSG.noRemote} — add <remote ip="10.0.0.2" name="module"/> inside <localpath watch=${q(watch)}>`);
  }
  const remotes: Remote[] = remoteEls.map((r) => {
    const ip = attr(r, 'ip') ?? '';
    const name = attr(r, 'name') ?? '';
    if (ip === '' || name === '') {
      const missing = [ip === '' ? 'ip' : '', name === '' ? 'name' : ''].filter(Boolean).join(' and ');
      ctx.fail(r, `${MSG.emptyRemote} — <remote> ${missing} must not be empty: ip = the rsync host, name = the rsync daemon module (or, with ssh on, the remote path)`);
    }
    return { ip, name };
  });

  const rsync = readRsync(ctx, sersync!);
  const failLog = readFailLog(ctx, sersync!, cwd);
  const crontab = readCrontab(ctx, sersync!);

  if (filterOn && excludes.length > 0 && crontab.enabled && crontab.filter.excludes.length === 0) {
    ctx.warn(
      child(sersync!, 'crontab'),
      'the main <filter> has excludes, <crontab> is on and <crontabfilter> has none: sersync2 turns crontab OFF in this case; sersync-ts keeps crontab on and leaves the paths excluded by the main filter out of the full sync as well (add <crontabfilter start="true"> rsync patterns to make sersync2 behave the same)',
    );
  }

  const pluginEl = child(sersync!, 'plugin');
  if (!pluginEl) ctx.defaulted.push('<sersync><plugin> (off)');
  const plugin = {
    enabled: ctx.on(pluginEl, 'start', false, '<sersync><plugin>'),
    name: pluginEl ? (attr(pluginEl, 'name') ?? '') : '',
  };

  const plugins = {
    command: readCommandPlugin(ctx, head),
    socket: readSocketPlugin(ctx, head),
    refreshCDN: readRefreshCdnPlugin(ctx, head),
    http: readHttpPlugin(ctx, head),
  };

  const extensions = readExtensions(ctx, head, cwd, opts);

  if (ctx.defaulted.length > 0) {
    ctx.warnings.unshift(`${file}: missing in the file, defaults used (sersync2 would crash without them): ${ctx.defaulted.join(', ')}`);
  }

  const config: Config = {
    file,
    host,
    debug,
    xfs,
    filter: { enabled: filterOn, excludes },
    inotify,
    localPath,
    ignoredLocalPaths,
    remotes,
    rsync,
    failLog,
    crontab,
    plugin,
    plugins,
    extensions,
    warnings: ctx.warnings,
  };

  if (plugin.enabled) {
    // sersync2 accepts command, socket, refreshCDN. `http` is a sersync-ts
    // extension (a webhook, spec §7.4): accepted only when its section gives
    // a URL, so that a config written for sersync2 still fails the same way.
    const httpOk = plugin.name === 'http' && plugins.http !== null && plugins.http.url !== '';
    if (!['command', 'socket', 'refreshCDN'].includes(plugin.name) && !httpOk) {
      ctx.fail(
        pluginEl,
        `${MSG.badPlugin} — <sersync><plugin start="true" name=${q(plugin.name)}>: the name must be command, socket or refreshCDN${plugin.name === 'http' ? ' (http needs a <plugin name="http"><localpath watch="…"><deshost url="http://…"/></localpath></plugin> section)' : ''}, or set start="false"`,
      );
    }
    validatePluginFor(config, plugin.name);
    const root = effectiveWatchRoot(config, {});
    if (plugin.name !== 'command' && root !== localPath) {
      ctx.warn(
        pluginEl,
        `plugin ${plugin.name} in sync mode moves the watch root: sersync2 (and sersync-ts) watches and rsyncs plugin[name=${plugin.name}]/localpath@watch ${q(root)} instead of <sersync><localpath watch=${q(localPath)}> (spec §2.4); -r still pushes the sersync localpath`,
      );
    }
  }
  return config;
}

/**
 * Check that plugin `name` can run with this config: for `<sersync><plugin
 * start="true">` (called by loadConfig) and for `-m NAME` (called by the CLI).
 * Throws ConfigError (exit 1) naming the attribute and the fix.
 */
export function validatePluginFor(config: Config, name: string): void {
  const file = config.file;
  if (!(KNOWN_PLUGINS as readonly string[]).includes(name)) {
    throw new ConfigError(`${file}: ${MSG.badModule} — unknown plugin ${q(name)}: use command, socket, refreshCDN or http`, 1);
  }
  const key = name as (typeof KNOWN_PLUGINS)[number];
  const sec = config.plugins[key];
  if (sec === null && key === 'http') {
    throw new ConfigError(
      `${file}: ${MSG.badModule} — http is a sersync-ts extension (not in sersync2) and needs a section: <plugin name="http"><localpath watch="/dir"><deshost url="http://127.0.0.1:8080/hook"/></localpath></plugin>`,
      1,
    );
  }
  if (sec === null) {
    const example =
      key === 'socket'
        ? '<plugin name="socket"><localpath watch="/dir"><deshost ip="127.0.0.1" port="8009"/></localpath></plugin>'
        : '<plugin name="refreshCDN"><localpath watch="/dir">…</localpath></plugin> (see confxml.xml.example)';
    throw new ConfigError(`${file}: ${MSG.emptyAttr} — plugin ${name} is used but <head> has no <plugin name="${name}"> section; add ${example}`, 1);
  }
  const problems = sec.problems ?? [];
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''} in this plugin section)` : '';
    throw new ConfigError(problems[0]! + more, 1);
  }
}

export interface WatchRootMode {
  /** The plugin in use: `-m NAME`, or the enabled `<sersync><plugin>` name (or undefined). */
  plugin?: string;
  /** true in `-m` mode. Accepted for clarity; the root is the same either way (§2.4, §7.6). */
  pluginOnly?: boolean;
}

/**
 * The watch root W (spec §2.4, §7.6). mode.plugin = the `-m NAME` plugin;
 * without it, the `<sersync><plugin>` if enabled. command → the sersync
 * localpath; socket / refreshCDN / http → that plugin's localpath@watch.
 * sersync-ts strips one trailing '/' in every case (sersync2 keeps it for
 * command and socket, which only doubles a slash in its paths).
 */
export function effectiveWatchRoot(config: Config, mode: WatchRootMode): BytePath {
  const name = mode.plugin ?? (config.plugin.enabled ? config.plugin.name : undefined);
  switch (name) {
    case undefined:
    case 'command':
      return config.localPath;
    case 'socket':
    case 'refreshCDN':
    case 'http': {
      const sec = config.plugins[name];
      if (!sec) throw new ConfigError(`${config.file}: ${MSG.emptyAttr} — plugin ${name} has no <plugin name="${name}"> section (call validatePluginFor first)`, 1);
      return stripOneSlash(sec.watch);
    }
    default:
      throw new ConfigError(`${config.file}: ${MSG.badModule} — unknown plugin ${q(name)}`, 1);
  }
}
