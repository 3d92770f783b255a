import { constants } from 'node:os';

/** Signals whose default action dumps core: re-raising one would dump a core of Node, not of the target. */
const CORE_SIGNALS = new Set(['SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGXCPU', 'SIGXFSZ', 'SIGSYS']);

/** Node ignores these for itself, so raising one at ourselves would do nothing. */
const IGNORED_BY_NODE = new Set(['SIGPIPE']);

export function signalNumber(signal: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[signal] ?? 0;
}

/** How netns-run should end when its child ended: the same code, or by the same signal where that is possible. */
export type Ending = { readonly kind: 'code'; readonly code: number } | { readonly kind: 'signal'; readonly signal: NodeJS.Signals };

export function endingFor(exitCode: number | undefined, signal: NodeJS.Signals | undefined): Ending {
  if (signal) {
    if (CORE_SIGNALS.has(signal) || IGNORED_BY_NODE.has(signal)) return { kind: 'code', code: 128 + signalNumber(signal) };
    return { kind: 'signal', signal };
  }
  return { kind: 'code', code: exitCode ?? 125 };
}
