// [Sysctl], [Nftables], [Hook], [Nscd]: what is set and run inside the
// namespace (issue 14, items 5-8).

import type { SectionParser } from './draft.js';

export interface SysctlSetting {
  /** Dotted form: net.ipv4.ping_group_range */
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface NftablesSpec {
  /** A ruleset file in the configuration directory, loaded inside before any interface exists. */
  readonly file: string;
  readonly line: number;
}

export interface HookSpec {
  readonly when: 'up' | 'down';
  readonly where: 'host' | 'inside';
  /** An absolute path to an executable that root alone can change, and its arguments (no shell). */
  readonly argv: readonly string[];
  readonly line: number;
}

export interface NscdSpec {
  readonly line: number;
}

export const INSIDE_SECTIONS: Readonly<Record<string, SectionParser>> = {
  // Filled in by the inside work (issue 14).
};
