// Human-readable rendering of the effective configuration, for `--check`.
// Every setting with its effective value, then the warnings. Secrets: the
// rsync password FILE path is shown (never read), the refreshCDN passwd and
// URL credentials are masked.
import { display } from '../util/bytepath.js';
import { effectiveWatchRoot } from './load.js';
import { quoteValue } from './text.js';
import type { Config, ExcludeRule } from './types.js';

const onOff = (b: boolean): string => (b ? 'on' : 'off');
const d = (s: string): string => display(s);
const quoted = quoteValue;

function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string, cred: string) =>
    cred.includes(':') ? `${scheme}${cred.slice(0, cred.indexOf(':'))}:***@` : `${scheme}${cred}@`,
  );
}

function minutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

function rules(lines: string[], list: ExcludeRule[] | string[], indent: string): void {
  for (const r of list) lines.push(`${indent}${typeof r === 'string' ? d(r) : d(r.expression)}`);
}

export function describeConfig(config: Config): string {
  const L: string[] = [];
  const c = config;
  L.push(`config file: ${c.file}`);
  L.push(`host: ${d(c.host.ip)} port ${c.host.port} (printed only; nothing listens there)`);
  L.push(`debug: ${onOff(c.debug)}`);
  L.push(`fileSystem xfs: ${onOff(c.xfs)}${c.xfs ? ' (directory symlinks are followed in the start-up scan)' : ''}`);
  L.push(`filter: ${onOff(c.filter.enabled)}${c.filter.enabled ? `, ${c.filter.excludes.length} exclude regex(es), whole-string match` : ''}`);
  rules(L, c.filter.excludes, '  exclude ');
  const i = c.inotify;
  L.push(
    `inotify: delete=${onOff(i.delete)} createFolder=${onOff(i.createFolder)} createFile=${onOff(i.createFile)} closeWrite=${onOff(i.closeWrite)} ` +
      `moveFrom=${onOff(i.moveFrom)} moveTo=${onOff(i.moveTo)} attrib=${onOff(i.attrib)} modify=${onOff(i.modify)}`,
  );
  L.push(`localpath (sersync watch): ${d(c.localPath)}`);
  for (const p of c.ignoredLocalPaths) L.push(`  ignored localpath: ${d(p)}`);
  let root: string;
  try {
    root = d(effectiveWatchRoot(c, {}));
  } catch (err) {
    root = `(error: ${(err as Error).message})`;
  }
  L.push(`watch root in sync mode: ${root}`);
  const r = c.rsync;
  const sep = r.ssh ? ':' : '::';
  const user = r.auth.enabled && r.auth.users !== '' ? `${d(r.auth.users)}@` : '';
  L.push(`remotes (${c.remotes.length}):`);
  for (const rem of c.remotes) L.push(`  ${user}${d(rem.ip)}${sep}${d(rem.name)}`);
  L.push('rsync:');
  L.push(`  commonParams: ${quoted(r.commonParams)} → arguments ${JSON.stringify(r.commonArgs.map(d))}`);
  L.push(
    `  auth: ${onOff(r.auth.enabled)}${r.auth.enabled ? `, user ${quoted(r.auth.users)}, password file ${r.auth.passwordFile === '' ? '(none)' : d(r.auth.passwordFile)} (content not shown)` : ''}`,
  );
  L.push(`  port: ${r.userDefinedPort.enabled ? `--port=${d(r.userDefinedPort.port)}` : 'off'}`);
  L.push(`  timeout: ${r.timeout.enabled ? `--timeout=${d(r.timeout.time)}` : 'off'}`);
  L.push(`  ssh: ${onOff(r.ssh)}${r.ssh ? ' (-e ssh, remote name = remote path)' : ''}`);
  L.push(`  delete on the remote: ${onOff(i.delete)}`);
  L.push(`failLog: ${d(c.failLog.path)}, replayed every ${minutes(c.failLog.intervalSeconds)} (timeToExecute=${quoted(c.failLog.timeToExecuteRaw)})`);
  const ct = c.crontab;
  L.push(`crontab: ${ct.enabled ? `full sync every ${ct.scheduleMinutes} min (schedule=${quoted(ct.scheduleRaw)})` : 'off'}`);
  L.push(`  crontabfilter: ${onOff(ct.filter.enabled)}${ct.filter.enabled ? `, ${ct.filter.excludes.length} rsync exclude pattern(s)` : ''}`);
  rules(L, ct.filter.excludes, '    --exclude=');
  L.push(`plugin after each sync: ${c.plugin.enabled ? c.plugin.name : 'off'}`);
  const cmd = c.plugins.command;
  if (cmd) {
    L.push(
      `plugin command: prefix ${quoted(cmd.prefix)} suffix ${quoted(cmd.suffix)} ignoreError=${cmd.ignoreError}; include filter ${onOff(cmd.filter.enabled)}`,
    );
    rules(L, cmd.filter.includes, '  include ');
  }
  const so = c.plugins.socket;
  if (so) L.push(`plugin socket: watch ${d(so.watch)} → ${d(so.ip)}:${Number.isNaN(so.port) ? '?' : so.port}`);
  const cdn = c.plugins.refreshCDN;
  if (cdn) {
    L.push(
      `plugin refreshCDN: watch ${d(cdn.watch)} → ${d(cdn.domainName)}:${Number.isNaN(cdn.port) ? '?' : cdn.port} user ${quoted(cdn.userName)} passwd ${cdn.passwd === '' ? '(empty)' : '(set, not shown)'}; ` +
        `base ${d(maskUrl(cdn.sendUrlBase))}; regexurl ${cdn.regexUrl.enabled ? `on, match ${quoted(cdn.regexUrl.match)}` : 'off'}`,
    );
  }
  const http = c.plugins.http;
  if (http) L.push(`plugin http (sersync-ts extension): watch ${d(http.watch)} → POST ${d(maskUrl(http.url))}`);
  const x = c.extensions;
  L.push(
    `sersync-ts: auditInterval ${x.auditIntervalSeconds} s${x.auditIntervalSeconds === 0 ? ' (off)' : ''}, deleteGuard ${x.deleteGuardRatio}, quietMs ${x.quietMs}, maxBatch ${x.maxBatch}, stateDir ${d(x.stateDir)}`,
  );
  if (c.warnings.length === 0) {
    L.push('warnings: none');
  } else {
    L.push(`warnings (${c.warnings.length}):`);
    for (const w of c.warnings) L.push(`  - ${w}`);
  }
  return L.join('\n') + '\n';
}
