// Which mechanism carries a [Forward], and the nftables rules of those DNAT
// carries. Pure: the choice follows from network.conf alone, so --status,
// a run and the tests all reach the same answer without root.
//
// DNAT over a [Veth] to the host: measured 1,040 MB/s against 1,000 direct
// (887 through systemd-socket-proxyd), no process to supervise, and the
// service sees the client's own address. It needs a route from the host to
// the Connect address, so it is chosen only for a forward in whose Connect=
// is an Address= of a [Veth] whose host end (PeerAddress=) is on the same
// network. Everything else keeps the proxy (forwards.ts):
// - out: the host's service, reached from inside through a proxy there;
// - a tunnel-only namespace, or a Connect= on lo inside: nothing to route to;
// - a loopback Listen= (127.0.0.0/8, ::1): the kernel routes no packet to
//   127/8 out of the host without route_localnet=1 on the host end, which
//   would also let the namespace send to the host's own 127.0.0.1 services
//   (whatever listens there trusts its callers to be local); ::1 cannot be
//   routed out at all. The proxy keeps the host's loopback closed;
// - a wildcard Listen= (0.0.0.0, ::): it would take the loopback addresses
//   in, with the same trouble; name the host's address instead.

import { network, parseAddress, type Cidr } from './address.js';
import type { ForwardSpec } from './conf/forwards.js';
import type { LinkSpec, VethSpec } from './conf/links.js';

export type ForwardRoute =
  | { readonly kind: 'dnat'; readonly link: VethSpec }
  | { readonly kind: 'proxy'; readonly why: string };

/** Does PREFIX hold ADDRESS (same family)? */
function holds(prefix: Cidr, address: string, family: 4 | 6): boolean {
  return prefix.family === family && network(prefix).address === network({ family, address, prefix: prefix.prefix }).address;
}

export function isLoopback(family: 4 | 6, address: string): boolean {
  if (family === 6) return address === '::1';
  return parseAddress(address)?.bytes[0] === 127;
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** How SPEC is carried, given the links of the same file. */
export function forwardRoute(spec: Pick<ForwardSpec, 'direction' | 'listen' | 'connect'>, links: readonly LinkSpec[]): ForwardRoute {
  if (spec.direction === 'out') return { kind: 'proxy', why: 'a forward out is carried by a proxy inside' };
  const { listen, connect } = spec;
  if (isLoopback(listen.family, listen.address)) return { kind: 'proxy', why: 'a loopback Listen= would need route_localnet, which opens the host\'s loopback to the namespace' };
  if (isWildcard(listen.address)) return { kind: 'proxy', why: 'a wildcard Listen= takes the loopback addresses in' };
  const link = links.find((candidate): candidate is VethSpec =>
    candidate.kind === 'veth' &&
    candidate.peerNamespace === undefined &&
    candidate.bridge === undefined &&
    candidate.addresses.some((a) => a.family === connect.family && a.address === connect.address) &&
    candidate.peerAddresses.some((peer) => holds(peer, connect.address, connect.family)));
  if (link === undefined) return { kind: 'proxy', why: 'Connect= is no Address= of a [Veth] to the host whose PeerAddress= is on its network' };
  return { kind: 'dnat', link };
}

/** A forward DNAT carries, with the host end it leaves by. */
export interface DnatForward {
  readonly spec: Pick<ForwardSpec, 'protocol' | 'listen' | 'connect'>;
  /** The host end of its [Veth]. */
  readonly peer: string;
}

function target(spec: DnatForward['spec']): string {
  const { family, address, port } = spec.connect;
  return family === 6 ? `ip6 to [${address}]:${port}` : `ip to ${address}:${port}`;
}

function match(spec: DnatForward['spec']): string {
  return `${spec.listen.family === 6 ? 'ip6' : 'ip'} daddr ${spec.listen.address} ${spec.protocol} dport ${spec.listen.port}`;
}

/**
 * The rules DNAT forwards add to NAME's table on the host: dnat, in both
 * prerouting (clients elsewhere, their address kept) and output (the
 * host's own clients: locally made packets never pass prerouting); and a
 * masquerade of those local ones onto the host end's address, so that the
 * namespace's answer comes back over the veth whatever its default route
 * is (a tunnel's).
 */
export function dnatRules(forwards: readonly DnatForward[]): { readonly dnat: string[]; readonly postrouting: string[] } {
  return {
    dnat: forwards.map(({ spec }) => `    ${match(spec)} dnat ${target(spec)}`),
    postrouting: [...new Set(forwards.map((f) => f.peer))].map((peer) => `    oifname "${peer}" ct status dnat fib saddr type local masquerade`),
  };
}
