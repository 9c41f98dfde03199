// A Logger that keeps what was said, for assertions.
import type { Logger } from '../../src/log/logger.js';

export interface Captured extends Logger {
  lines: Array<{ level: string; msg: string }>;
  said(level: string, re: RegExp): number;
}

export function captureLog(): Captured {
  const lines: Array<{ level: string; msg: string }> = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  return {
    lines,
    said: (level, re) => lines.filter((l) => l.level === level && re.test(l.msg)).length,
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    isDebug: () => false,
    setLevel: () => {},
    reopen: () => {},
    close: async () => {},
  };
}
