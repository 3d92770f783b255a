// /etc/netns-run/NAME/network.conf: everything of the namespace's network
// that is not a WireGuard file (links, NAT, sysctl, nftables, hooks, nscd,
// forwards), documented key by key in netns-run.conf(5). Read whole and
// checked before anything is made, so a bad file makes nothing.

import { sha256 } from './digest.js';
import { CONFIG_DIR, type NamespacePaths } from '../name.js';
import { readTrusted } from '../trust.js';
import { configError, readIni } from './ini.js';
import type { Draft, NetworkConf, SectionParser } from './conf/draft.js';
import { FORWARD_SECTIONS } from './conf/forwards.js';
import { INSIDE_SECTIONS } from './conf/inside.js';
import { withRuleset } from './inside.js';
import { checkHostIPv6Forwarding, LINK_SECTIONS } from './conf/links.js';

export type { NetworkConf } from './conf/draft.js';

const SECTIONS: Readonly<Record<string, SectionParser>> = { ...LINK_SECTIONS, ...INSIDE_SECTIONS, ...FORWARD_SECTIONS };

const MAX_BYTES = 256 * 1024;

/** Parses TEXT, read from FILE. Pure. */
export function parseNetworkConf(text: string, file: string, fingerprint = ''): NetworkConf {
  const draft: Draft = { file, fingerprint, links: [], routes: [], sysctl: [], nftables: undefined, hooks: [], nscd: undefined, forwards: [] };
  for (const section of readIni(text, file)) {
    const parse = SECTIONS[section.name];
    if (parse === undefined) {
      const known = Object.keys(SECTIONS).map((name) => `[${name}]`).join(', ') || 'none yet';
      throw configError(file, section.line, `[${section.title}] is no section of network.conf; it knows ${known}`);
    }
    parse(section, file, draft);
  }
  checkHostIPv6Forwarding(draft, file);
  return draft;
}

/**
 * Reads network.conf of the namespace, if there is one: a file root alone
 * can change, in directories root alone can change (it names hooks that
 * root runs). It holds no secret, so others may read it.
 */
export function loadNetworkConf(paths: Pick<NamespacePaths, 'configDir' | 'networkConf'>): NetworkConf | undefined {
  const bytes = readTrusted(paths.networkConf, { readers: 'any', maxBytes: MAX_BYTES, directories: [CONFIG_DIR, paths.configDir] });
  if (bytes === undefined) return undefined;
  // The ruleset is part of what was applied: an edit of it alone is one --ensure must apply.
  return withRuleset(parseNetworkConf(bytes.toString('utf8'), paths.networkConf, sha256(bytes)), paths);
}
