// Gap repair: what the live pipeline pushed while a full sync ran is pushed
// once more after it.
//
// Why: the full sync and the live sender write to the same remote at the same
// time. rsync's `--delete` removes a remote file that was not in its file list
// (a file created locally after that directory was listed, and already pushed
// by the live sender); a file changed while rsync was reading it can land
// after the live push of its newer content. Re-marking every path the live
// pipeline marked during the window, once the full sync is over, makes the
// live state win in every such interleaving: the push that comes last reads
// the file as it is now.
//
// The engine has no "a path was marked" hook, so the recorder wraps the
// sender's `mark` method on the instance (once per sender; several recorders
// can listen at the same time). A hook in the engine would make this cleaner.
import type { PushKind } from '../rsync/argv.js';
import type { BytePath } from '../util/bytepath.js';

/** What the recorder needs of a RemoteSender. */
export interface Markable {
  mark(rel: BytePath, kind: PushKind, now: number, readyAt?: number): void;
}

type Listener = (rel: BytePath, kind: PushKind) => void;

const listenersOf = new WeakMap<Markable, Set<Listener>>();

function listeners(sender: Markable): Set<Listener> {
  let set = listenersOf.get(sender);
  if (set) return set;
  const ls = new Set<Listener>();
  set = ls;
  listenersOf.set(sender, ls);
  const original = sender.mark.bind(sender);
  sender.mark = (rel, kind, now, readyAt) => {
    for (const l of ls) l(rel, kind);
    original(rel, kind, now, readyAt);
  };
  return set;
}

export interface MarkRecorder {
  /** Paths recorded so far. */
  readonly size: number;
  /** Stop recording; the recorded ops, the last kind per path, in first-seen order. */
  stop(): Array<{ rel: BytePath; kind: PushKind }>;
}

export function recordMarks(sender: Markable): MarkRecorder {
  const seen = new Map<BytePath, PushKind>();
  const ls = listeners(sender);
  const l: Listener = (rel, kind) => void seen.set(rel, kind);
  ls.add(l);
  return {
    get size() {
      return seen.size;
    },
    stop() {
      ls.delete(l);
      return [...seen].map(([rel, kind]) => ({ rel, kind }));
    },
  };
}

/** Mark the recorded ops again on the same sender (they are pushed after the full sync). */
export function remark(sender: Markable, ops: ReadonlyArray<{ rel: BytePath; kind: PushKind }>, now = Date.now()): void {
  for (const op of ops) sender.mark(op.rel, op.kind, now);
}
