// Plugin config objects for tests, shaped like the config loader's output
// (src/config/types.ts): byte strings, regexes compiled with compileBoostRegex.
import { compileBoostRegex } from '../../src/config/regex.js';
import type {
  CommandPluginConfig,
  HttpPluginConfig,
  RefreshCdnPluginConfig,
  SocketPluginConfig,
} from '../../src/config/types.js';

export function commandConfig(o: Partial<CommandPluginConfig> & { includes?: string[] } = {}): CommandPluginConfig {
  const { includes, ...rest } = o;
  return {
    prefix: '/bin/sh',
    suffix: '',
    ignoreError: false,
    filter: includes
      ? { enabled: true, includes: includes.map((e) => ({ expression: e, regex: compileBoostRegex(e) })) }
      : { enabled: false, includes: [] },
    ...rest,
  };
}

export function cdnConfig(o: Partial<RefreshCdnPluginConfig> & { match?: string } = {}): RefreshCdnPluginConfig {
  const { match, ...rest } = o;
  return {
    watch: '/data/www',
    domainName: '127.0.0.1',
    port: 8010,
    userName: 'xxxx',
    passwd: 'xxxx',
    sendUrlBase: 'http://pic.example.com/cms',
    regexUrl:
      match !== undefined
        ? { enabled: true, match, regex: compileBoostRegex(match, { search: true }) }
        : { enabled: false, match: '', regex: null },
    ...rest,
  };
}

export function socketConfig(o: Partial<SocketPluginConfig> = {}): SocketPluginConfig {
  return { watch: '/data/www', ip: '127.0.0.1', port: 8009, ...o };
}

export function httpConfig(o: Partial<HttpPluginConfig> = {}): HttpPluginConfig {
  return { watch: '/data/www', url: 'http://127.0.0.1:8011/hook', port: '8011', ...o };
}
