// What a plugin is told about one event: the path as sersync2 shows it to
// plugins (absolute, `<W>/<rel>`), whether it is a directory, and the kind.
import type { BytePath } from '../util/bytepath.js';

export interface PluginEvent {
  /** Watch root as the plugin sees it (sersync2's m_watch, spec §2.4). */
  watchRoot: BytePath;
  /** Path relative to the watch root. */
  rel: BytePath;
  /** Absolute path `<watchRoot>/<rel>` (bytes). */
  abs: BytePath;
  isDir: boolean;
  /** 'sync' (created/changed/moved in) or 'delete' (gone). */
  op: 'sync' | 'delete';
  /** inotify-style mask for the http plugin's `mask=` field (IN_CLOSE_WRITE=8, IN_CREATE|IN_ISDIR, IN_DELETE=512 …). */
  mask: number;
}

export interface Plugin {
  readonly name: string;
  /** Handle one event. Must never throw and never block the caller for long. */
  handle(ev: PluginEvent): void;
  /** Wait for in-flight work (bounded) and release resources. */
  close(): Promise<void>;
  /** Counters for status/metrics. */
  stats(): Record<string, number>;
}
