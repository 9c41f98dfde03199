// Building the PluginEvent the plugins get, from what the engine knows: the
// watch root, the relative path, its type and whether it is gone. sersync2
// hands its plugins the inotify event; we have no raw inotify masks (the
// watcher only gives hints), so the mask is the one inotify would most
// likely have reported for that outcome. Only the http plugin shows it.
import { type BytePath, joinPath } from '../util/bytepath.js';
import type { PluginEvent } from './types.js';

export const IN_MODIFY = 0x2;
export const IN_CLOSE_WRITE = 0x8;
export const IN_MOVED_TO = 0x80;
export const IN_CREATE = 0x100;
export const IN_DELETE = 0x200;
export const IN_ISDIR = 0x40000000;

/** The inotify-style mask for an outcome: file written, directory created, path deleted. */
export function maskFor(op: PluginEvent['op'], isDir: boolean): number {
  if (op === 'delete') return isDir ? IN_DELETE | IN_ISDIR : IN_DELETE;
  return isDir ? IN_CREATE | IN_ISDIR : IN_CLOSE_WRITE;
}

/**
 * The event for `rel` under `watchRoot`. The absolute path is `<W>/<rel>`
 * exactly as sersync2 builds it: with a watch root kept with its trailing
 * slash (command / socket plugins, spec §2.4) sersync2 shows `W//rel`, and we
 * keep that only where the config keeps the slash (joinPath avoids doubling
 * it; the spec notes the doubled slash is harmless for the arithmetic and
 * users' scripts are better served by a clean path).
 */
export function pluginEvent(watchRoot: BytePath, rel: BytePath, isDir: boolean, op: PluginEvent['op']): PluginEvent {
  return { watchRoot, rel, abs: joinPath(watchRoot, rel), isDir, op, mask: maskFor(op, isDir) };
}
