// The -h / --help text, in English and Chinese (most sersync users read Chinese).
export const VERSION = '0.1.0';

export function helpText(argv0: string): string {
  const rule = '_'.repeat(64);
  return `${'_'.repeat(55)}
sersync-ts ${VERSION} — a drop-in replacement for sersync2 / sersync2 的兼容替代品
Usage / 用法: ${argv0} [-d] [-r] [-n num] [-o confxml.xml] [-m plugin] [options]

  -d          run as a daemon (returns once watching has started)
              参数-d: 启用守护进程模式（开始监控后父进程才返回）
  -r          push the whole watch directory to every remote once, after watching starts
              参数-r: 在监控开始后，将监控目录与远程主机用 rsync 命令整体推送一遍
  -n num      rsync processes per remote at most (default 10)
              参数-n: 每个远程主机最多同时运行的 rsync 进程数，默认为 10
  -o file     config file (default confxml.xml)
              参数-o: 指定配置文件，默认使用 confxml.xml 文件
  -m name     run one plugin alone, no rsync: command, socket, refreshCDN, http
              参数-m: 单独启用其他模块（不执行同步）: command, socket, refreshCDN, http
              without -m the sync program runs / 不加 -m 参数，则默认执行同步程序
  -h, --help  this help / 显示本帮助

sersync-ts options / sersync-ts 扩展参数:
  --check              validate the config and print the effective settings / 检查配置并打印生效的配置
  --dry-run            print the rsync commands sersync2 would run, run nothing / 只打印 sersync2 会执行的 rsync 命令
  --replay-faillog     replay the fail log once (for cron), then exit / 重放失败日志一次（供 cron 使用）
  --status             ask the running daemon for its state / 查询运行中守护进程的状态
  --pid-file FILE      pid file (daemon mode) / pid 文件
  --log-file FILE      write the log here (reopened on SIGHUP) / 日志文件（收到 SIGHUP 时重新打开）
  --log-format FMT     text (default) or json / 日志格式: text 或 json
  --metrics ADDR       serve Prometheus metrics on ADDR, e.g. 127.0.0.1:9108 / 在该地址提供 Prometheus 指标
  --compat             reproduce sersync2 quirks users may rely on / 兼容 sersync2 的旧行为
  --version            print the version / 打印版本
${rule}
`;
}
