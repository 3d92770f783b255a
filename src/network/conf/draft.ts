// What network.conf declares, gathered section by section. Each family of
// sections has its module (links.ts, inside.ts, forwards.ts) that owns its
// types, its keys and its checks; network-conf.ts only dispatches.

import type { IniSection } from '../ini.js';
import type { LinkSpec, RouteSpec } from './links.js';
import type { HookSpec, NftablesSpec, NscdSpec, SysctlSetting } from './inside.js';
import type { ForwardSpec } from './forwards.js';

export interface NetworkConf {
  /** /etc/netns-run/NAME/network.conf */
  readonly file: string;
  /** A digest of the file: what --ensure compares with what it made. */
  readonly fingerprint: string;
  readonly links: readonly LinkSpec[];
  readonly routes: readonly RouteSpec[];
  readonly sysctl: readonly SysctlSetting[];
  readonly nftables: NftablesSpec | undefined;
  readonly hooks: readonly HookSpec[];
  readonly nscd: NscdSpec | undefined;
  readonly forwards: readonly ForwardSpec[];
}

/** The mutable form the section parsers fill in, in file order. */
export type Draft = { -readonly [K in keyof NetworkConf]: K extends 'file' | 'fingerprint' | 'nftables' | 'nscd' ? NetworkConf[K] : NetworkConf[K] extends readonly (infer T)[] ? T[] : never };

/** Reads one [Section] into DRAFT; throws configError(file, line, why) on anything wrong. */
export type SectionParser = (section: IniSection, file: string, draft: Draft) => void;
