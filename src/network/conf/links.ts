// [Veth], [Macvlan], [Dummy], [Route]: the links of network.conf and their
// addresses and routes (issue 14, items 1-4).

import type { Cidr } from '../address.js';
import type { SectionParser } from './draft.js';

interface LinkCommon {
  /** The interface's name inside the namespace. */
  readonly name: string;
  readonly addresses: readonly Cidr[];
  readonly mtu?: number;
  readonly macAddress?: string;
  /** Default routes inside through these gateways (one per family at most). */
  readonly gateways: readonly { readonly family: 4 | 6; readonly address: string }[];
  readonly line: number;
}

export interface VethSpec extends LinkCommon {
  readonly kind: 'veth';
  /** The other end's name (default: derived, stable per namespace and link). */
  readonly peerName?: string;
  /** The other end goes into this network namespace (/run/netns/OTHER) instead of the host's. */
  readonly peerNamespace?: string;
  readonly peerAddresses: readonly Cidr[];
  readonly peerMacAddress?: string;
  /** The host end joins this existing bridge. */
  readonly bridge?: string;
  /** Outbound NAT on the host through this link, with forwarding switched on for it only. */
  readonly masquerade: boolean;
}

export interface MacvlanSpec extends LinkCommon {
  readonly kind: 'macvlan';
  /** The host interface it sits on. */
  readonly parent: string;
  readonly mode: 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';
}

export interface DummySpec extends LinkCommon {
  readonly kind: 'dummy';
}

export type LinkSpec = VethSpec | MacvlanSpec | DummySpec;

export interface RouteSpec {
  /** 'default' or a prefix. */
  readonly destination: Cidr | 'default';
  readonly family: 4 | 6;
  readonly gateway?: string;
  readonly device?: string;
  readonly metric?: number;
  readonly line: number;
}

export const LINK_SECTIONS: Readonly<Record<string, SectionParser>> = {
  // Filled in by the links work (issue 14).
};
