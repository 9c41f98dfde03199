// One entry point for the engine: make the plugin called `name` from the
// config. The config loader has already checked that the section exists and
// is usable (validatePluginFor); a missing section here is a programming error.
import type { Config } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { createCommandPlugin, type CommandPluginOptions } from './command.js';
import { createHttpPlugin, type HttpPluginOptions } from './http.js';
import { createRefreshCdnPlugin, type RefreshCdnOptions } from './refreshCdn.js';
import { createSocketPlugin, type SocketPluginOptions } from './socket.js';
import type { Plugin } from './types.js';

export type { Plugin, PluginEvent } from './types.js';
export { pluginEvent, maskFor } from './event.js';

export interface CreatePluginOptions {
  log: Logger;
  /** Per-plugin tuning (tests, benchmarks); defaults are the documented ones. */
  command?: Partial<Omit<CommandPluginOptions, 'log' | 'debug'>>;
  socket?: Partial<Omit<SocketPluginOptions, 'log'>>;
  refreshCDN?: Partial<Omit<RefreshCdnOptions, 'log'>>;
  http?: Partial<Omit<HttpPluginOptions, 'log'>>;
}

/** The start-up line sersync2 prints for `-m NAME` (spec §7.6); http is ours. */
export function pluginModeStartLine(name: string): string {
  switch (name) {
    case 'command':
      return 'start command interface';
    case 'socket':
      return '启动SOCKET接口';
    case 'refreshCDN':
      return '启动刷新CDN模块';
    case 'http':
      return 'start http interface';
    default:
      return `start ${name} interface`;
  }
}

export function createPlugin(name: string, config: Config, opts: CreatePluginOptions): Plugin {
  const missing = (): Error => new Error(`no <plugin name="${name}"> section in ${config.file}`);
  switch (name) {
    case 'command': {
      const cfg = config.plugins.command;
      if (!cfg) throw missing();
      return createCommandPlugin(cfg, { ...opts.command, debug: config.debug, log: opts.log });
    }
    case 'socket': {
      const cfg = config.plugins.socket;
      if (!cfg) throw missing();
      return createSocketPlugin(cfg, { ...opts.socket, log: opts.log });
    }
    case 'refreshCDN': {
      const cfg = config.plugins.refreshCDN;
      if (!cfg) throw missing();
      return createRefreshCdnPlugin(cfg, { ...opts.refreshCDN, log: opts.log });
    }
    case 'http': {
      const cfg = config.plugins.http;
      if (!cfg) throw missing();
      return createHttpPlugin(cfg, { ...opts.http, log: opts.log });
    }
    default:
      throw new Error(`unknown plugin ${JSON.stringify(name)} (command, socket, refreshCDN or http)`);
  }
}
