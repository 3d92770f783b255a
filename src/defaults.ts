// The files a namespace gets when its administrator has not written them.
// Pure text in, text out: unit-tested without root.

/** The NixOS module's public resolvers, IPv6 first. glibc uses the first three (MAXNS). */
export const DEFAULT_NAMESERVERS = ['2606:4700:4700::1111', '2001:4860:4860::8888', '1.1.1.1', '8.8.8.8'];

export function defaultResolvConf(name: string): string {
  return [
    `# Resolvers for network namespace ${name}, made by netns-run on first use.`,
    '# Edit freely: netns-run never rewrites this file, and the next command',
    '# run in the namespace sees the change.',
    ...DEFAULT_NAMESERVERS.map((server) => `nameserver ${server}`),
    '',
  ].join('\n');
}

/**
 * hosts: services that answer from outside the namespace: nss-resolve asks the
 * host's systemd-resolved, nss-mdns the host's avahi-daemon, nss-wins the
 * host's winbindd. Each would leak a lookup out of the namespace.
 */
const HOST_SIDE_SERVICES = /^(resolve|mdns|mdns4|mdns6|mdns_minimal|mdns4_minimal|mdns6_minimal|wins)$/;

/** Drops host-side services, and the [action] items that belong to them, from one hosts: line. */
export function filterHostsLine(line: string): string {
  const match = /^(\s*hosts\s*:)(.*)$/.exec(line);
  if (!match) return line;
  const [, head, rest] = match as unknown as [string, string, string];
  const comment = rest.indexOf('#');
  const spec = comment >= 0 ? rest.slice(0, comment) : rest;
  // Items are service names and bracketed action lists ("[!UNAVAIL=return]", "[NOTFOUND = return]").
  const items = spec.match(/\[[^\]]*\]|[^\s[\]]+/g) ?? [];
  const kept: string[] = [];
  let dropping = false;
  for (const item of items) {
    if (item.startsWith('[')) {
      if (!dropping) kept.push(item);
      continue;
    }
    dropping = HOST_SIDE_SERVICES.test(item);
    if (!dropping) kept.push(item);
  }
  // An action list with no service before it is meaningless; and no service at all means none resolves.
  while (kept[0]?.startsWith('[')) kept.shift();
  if (kept.length === 0) kept.push('files', 'dns');
  return `${head} ${kept.join(' ')}`;
}

export function namespaceNsswitch(name: string, host: string | undefined): string {
  const header = [
    `# Name service switch for network namespace ${name}, made by netns-run on first use`,
    host === undefined
      ? '# (the host has no /etc/nsswitch.conf). Edit freely: netns-run never rewrites it.'
      : "# from the host's, without lookups answered outside the namespace. Edit freely.",
  ];
  if (host === undefined) return [...header, 'hosts: files dns', ''].join('\n');
  const body = host.split('\n').map(filterHostsLine);
  if (!body.some((line) => /^\s*hosts\s*:/.test(line))) body.push('hosts: files dns');
  return [...header, ...body].join('\n').replace(/\n*$/, '\n');
}
