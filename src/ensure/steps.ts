// Each set-up step as a record: what it is (for messages), how it is made
// (apply, which pushes its own undo as it goes, so a failure half-way takes
// back exactly what was made), and how --down takes it away again
// (tearDown). ensure/plan.ts decides which steps a namespace needs;
// ensure/index.ts carries them out in one loop; teardown.ts runs the
// tearDowns newest first. A new kind of thing netns-run makes is one more
// record here.

import { lstatSync, rmSync } from 'node:fs';
import { NetnsRunError } from '../errors.js';
import type { MadeCoverKey, NamespacePaths } from '../name.js';
import type { Tools } from '../tools.js';
import { runHelper } from '../helpers.js';
import { isCrashLeftover, isNamespaceMount, madeByNetnsRun, namespaceId } from './inspect.js';
import { createMntns, makeHostMountPoint, makeStateRootPrivate, rebindReplacedCovers, removeStaleMntns } from './mntns.js';
import { createNetns, removeStaleNetns } from './netns.js';
import type { EnsureStep } from './plan.js';
import { adoptTunnelResolvConf, writeDefaultNsswitchConf, writeDefaultResolvConf } from './resolver.js';
import type { Undo } from './undo.js';
import { loadNetworkConfig, type NetworkSpec } from '../network/config.js';
import { makeTunnels, removeTunnels } from '../network/wireguard.js';
import { renderResolvConf } from '../network/wg-quick.js';
import type { NetworkConf } from '../network/network-conf.js';
import type { NetworkSetup, NetworkTeardown } from '../network/context.js';
import { configureInside } from '../network/inside.js';
import { makeLinks, removeLinks } from '../network/links.js';
import { makeForwards, removeForwards, restartDeadForwards } from '../network/forwards.js';
import { restartDeadNscd, startNscd, stopNscd } from '../network/nscd.js';
import { runDownHooks, runUpHooks } from '../network/hooks.js';
import { writeFileSync } from 'node:fs';

export type SetupTools = Pick<Tools, 'ip' | 'nsenter' | 'unshare' | 'mount' | 'umount' | 'sh' | 'flock' | 'taskset' | 'perl'>;

export interface SetupContext {
  readonly paths: NamespacePaths;
  readonly tools: SetupTools;
  readonly undo: Undo;
  /** /etc/netns-run/NAME, read and checked before the first step (so a bad file makes nothing). */
  readonly network?: NetworkSpec;
  /** network.conf, read and checked likewise; absent when there is none. */
  readonly conf?: NetworkConf;
}

export interface TeardownContext {
  readonly paths: NamespacePaths;
  readonly tools: Pick<Tools, 'ip' | 'umount'>;
  /** --force: also what netns-run did not make. */
  readonly force: boolean;
  /** Notes for the caller: what was kept and why. */
  readonly notes: string[];
}

export interface Step {
  readonly what: string;
  apply(context: SetupContext): void | Promise<void>;
  /** Takes away what apply made, whenever it was made; absent for configuration, which stays. */
  tearDown?(context: TeardownContext): void;
}

/** Removes files of the state directory; a missing one is fine. */
function removeAll(paths: readonly string[]): void {
  for (const path of paths) rmSync(path, { recursive: true, force: true });
}

const STEPS: Readonly<Record<EnsureStep, Step>> = {
  // Made once for every namespace, and kept, as ip netns keeps /run/netns.
  'make-state-root-private': {
    what: 'making the state root a private mount point',
    apply: ({ paths, tools, undo }) => makeStateRootPrivate(paths, tools, undo),
  },
  'remove-stale-netns': {
    what: 'removing a leftover network namespace file',
    apply: ({ paths }) => removeStaleNetns(paths),
  },
  'create-netns': {
    what: 'creating the network namespace',
    apply: ({ paths, tools, undo }) => createNetns(paths, tools, undo),
    // A namespace made by a VPN tool or an administrator is theirs: only the one netns-run made goes, unless forced.
    tearDown: ({ paths, tools, force, notes }) => {
      const id = namespaceId(paths.netns);
      if (id !== undefined) {
        if (madeByNetnsRun(paths, id) || force) runHelper(tools.ip, ['netns', 'delete', paths.name], `deleting network namespace ${paths.name}`);
        else notes.push(`kept ${paths.netns}: netns-run did not make it (--force deletes it)`);
      } else if (lstatSync(paths.netns, { throwIfNoEntry: false }) !== undefined) {
        if (force || isCrashLeftover(paths.netns)) rmSync(paths.netns, { force: true });
        else notes.push(`kept ${paths.netns}: it is no namespace and not empty (--force removes it)`);
      }
      removeAll([paths.createdMarker]);
    },
  },
  // Before any interface: an nftables kill switch must stand before the first link does. Gone with the namespace.
  'configure-inside': confPart('applying the sysctl settings and nftables ruleset of network.conf', configureInside),
  // After the namespace, so that --down removes the tunnels (and their wireguard-go) before the namespace.
  'make-tunnels': {
    what: 'making the WireGuard interfaces',
    apply: ({ paths, undo, network }) => {
      const id = namespaceId(paths.netns);
      if (id === undefined) throw new NetnsRunError(`${paths.netns} is no network namespace; cannot put a tunnel in it`);
      const spec = network ?? loadNetworkConfig(paths);
      makeTunnels(spec.interfaces, paths, id, undo);
      adoptTunnelResolvConf(paths, renderResolvConf(spec.dns, spec.dir), undo);
    },
    tearDown: ({ paths, tools, notes }) => {
      for (const left of removeTunnels(paths, tools)) notes.push(`could not remove ${left}`);
    },
  },
  'make-links': confPart('making the links of network.conf', makeLinks, removeLinks),
  'make-forwards': confPart('making the forwards of network.conf', makeForwards, removeForwards),
  // From the records, not the file: what was made is kept running; an edit is --ensure's to apply. make-forwards tears them down.
  'restart-forwards': {
    what: 'starting again the forwards whose process died',
    apply: ({ paths, undo }) => restartDeadForwards(paths, undo),
  },
  'default-resolv-conf': {
    what: 'writing the default resolv.conf',
    // DNS = in a WireGuard file replaces the public defaults: with a tunnel, they are not used at all.
    apply: ({ paths, undo, network }) => writeDefaultResolvConf(paths, undo, network && renderResolvConf(network.dns, network.dir)),
  },
  'default-nsswitch-conf': {
    what: 'writing the default nsswitch.conf',
    apply: ({ paths, undo }) => writeDefaultNsswitchConf(paths, undo),
  },
  ...hostMountPoints(),
  'remove-stale-mntns': {
    what: 'removing a stale mount namespace',
    apply: ({ paths, tools }) => removeStaleMntns(paths, tools),
  },
  'create-mntns': {
    what: 'making the mount namespace',
    apply: ({ paths, tools, undo }) => createMntns(paths, tools, undo),
    tearDown: ({ paths, tools }) => {
      if (isNamespaceMount(paths.mntns)) runHelper(tools.umount, [paths.mntns], `unmounting ${paths.mntns}`);
      removeAll([paths.mntns, paths.mntnsFor, paths.covers, ...paths.covered.map(({ source }) => source)]);
    },
  },
  'rebind-replaced-covers': {
    what: 'covering replaced host files again',
    apply: ({ paths, tools }) => rebindReplacedCovers(paths, tools),
  },
  // In the kept mount namespace, whose /run/nscd is the state directory's nscd.
  'start-nscd': confPart('starting the name service cache of network.conf', startNscd, stopNscd),
  // From the record, as restart-forwards: the nscd that was started is started again; an edit is --ensure's to apply.
  'restart-nscd': {
    what: 'starting again the nscd that died',
    apply: ({ paths, undo }) => restartDeadNscd(paths, undo),
  },
  // Last, when everything they may use stands; --down runs the down hooks first, for the same reason.
  'run-up-hooks': confPart('running the up hooks of network.conf', runUpHooks, runDownHooks),
  'record-network': {
    what: 'recording what network.conf was applied to',
    apply: ({ paths, undo, conf }) => {
      const id = namespaceId(paths.netns);
      if (id === undefined || conf === undefined) return;
      writeFileSync(paths.networkMade, `${id} ${conf.fingerprint}\n`, { mode: 0o644 });
      undo.push(`removing ${paths.networkMade}`, () => rmSync(paths.networkMade, { force: true }));
    },
    // Each part removed its own records under networkState; the directory goes with the state directory.
    tearDown: ({ paths }) => removeAll([paths.networkMade]),
  },
};

/**
 * A part of network.conf as a step: applied only where there is a file
 * (without one there is nothing to apply), taken away from its own records
 * (the file may have changed or gone by --down).
 */
function confPart(what: string, apply: (setup: NetworkSetup) => void, tearDown?: (teardown: NetworkTeardown) => void): Step {
  return {
    what,
    apply: ({ paths, conf, undo }) => {
      if (conf !== undefined) apply({ paths, conf, undo });
    },
    ...(tearDown !== undefined ? { tearDown: ({ paths, notes }: TeardownContext) => tearDown({ paths, notes }) } : {}),
  };
}

function hostMountPoints(): Record<`host-mount-point-${MadeCoverKey}`, Step> {
  const step = (key: MadeCoverKey): Step => ({
    what: `making a mount point for the ${key} cover`,
    apply: ({ paths, undo }) => {
      const cover = paths.covered.find((c) => c.key === key)!;
      makeHostMountPoint(cover.host, cover.kind === 'file' ? 'file' : 'directory', undo);
    },
  });
  return { 'host-mount-point-resolv-conf': step('resolv-conf'), 'host-mount-point-nsswitch-conf': step('nsswitch-conf'), 'host-mount-point-nscd': step('nscd') };
}

export function step(name: EnsureStep): Step {
  return STEPS[name];
}

/** Every step that can be torn down, newest first: the order --down takes a namespace apart in. */
export function tearDownOrder(): readonly Step[] {
  return (Object.keys(STEPS) as EnsureStep[]).reverse().map((name) => STEPS[name]).filter((s) => s.tearDown !== undefined);
}
