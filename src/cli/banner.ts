// Start-up lines. They keep the meaning of sersync2's banner (spec §1.2), not
// its bytes: scripts and people look for "parse the command param", the
// `option:` lines, "config xml parse success" and "watch path is:".
import type { Config } from '../config/types.js';
import { display } from '../util/bytepath.js';
import { atoi, type CliOptions } from './args.js';
import { VERSION } from './help.js';

type Out = (s: string) => void;

export function printStartupBanner(opts: CliOptions, out: Out): void {
  out(`sersync-ts ${VERSION} (sersync2 compatible)\n`);
  out('parse the command param\n');
  for (const s of opts.seen) {
    switch (s.flag) {
      case 'd':
        out('option: -d \trun as a daemon\n');
        break;
      case 'r':
        out('option: -r \trsync all the local files to the remote servers before the sersync work\n');
        break;
      case 'o':
        out(`option: -o \tconfig xml name：  ${s.arg}\n`);
        break;
      case 'm':
        out(`option: -m \tworking plugin name: ${s.arg}\n`);
        break;
      case 'n':
        out(`option: -n \tthread num is：  ${s.arg}\n`);
        break;
    }
  }
  // sersync2 prints this when -n is absent or did not give a positive number.
  if (opts.threadsRaw === null || atoi(opts.threadsRaw) <= 0) out(`daemon thread num: ${opts.threads}\n`);
}

export function printConfigBanner(config: Config, opts: CliOptions, out: Out): void {
  out('parse xml config file\n');
  out(`host ip : ${config.host.ip}\thost port: ${config.host.port}\n`);
  if (config.filter.enabled) out('now the filter work ,if you set the crontab,you have to set crontab filter \n');
  if (!config.inotify.delete) out('will ignore the inotify delete event\n');
  if (config.debug) out('Open debug, you will see debug infomation \n');
  if (config.xfs) out('WARNING XFS FILE SYSTEM WORK\n');
  if (opts.pluginMode === null) {
    if (config.crontab.enabled) {
      out(`Start the crontab \tEvery ${config.crontab.scheduleMinutes} minutes rsync all the files to the remote servers entirely\n`);
    }
    if (config.crontab.filter.enabled) {
      out('开启crontab过滤功能:\t作整体同步的时候会对如下文件进行过滤\n');
      for (const ex of config.crontab.filter.excludes) out(`${display(ex)}\n`);
    }
    if (config.rsync.auth.enabled) {
      out('use rsync password-file :\n');
      out(`user is\t${config.rsync.auth.users}\n`);
      out(`passwordfile is \t${config.rsync.auth.passwordFile}\n`);
    }
    if (config.plugin.enabled) out(`after each synchronize run the plugin \tplugin name is: ${config.plugin.name}\n`);
  }
  for (const w of config.warnings) out(`WARNING: ${w}\n`);
  out('config xml parse success\n');
  if (opts.pluginMode === null) {
    const r = config.remotes.length;
    out(`sersync working: up to ${opts.threads} rsync process(es) per remote × ${r} remote(s), no fixed delay\n`);
  }
}
