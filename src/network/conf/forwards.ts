// [Forward]: ports from the host into the namespace and from the namespace
// to the host (issue 15).

import type { SectionParser } from './draft.js';

export interface ForwardSpec {
  /** in: listen on the host, connect inside; out: listen inside, connect on the host. */
  readonly direction: 'in' | 'out';
  readonly protocol: 'tcp' | 'udp';
  readonly listen: { readonly family: 4 | 6; readonly address: string; readonly port: number };
  readonly connect: { readonly family: 4 | 6; readonly address: string; readonly port: number };
  readonly line: number;
}

export const FORWARD_SECTIONS: Readonly<Record<string, SectionParser>> = {
  // Filled in by the forwards work (issue 15).
};
