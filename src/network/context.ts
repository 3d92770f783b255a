// What each part of network.conf gets when it is made and when it is taken
// away. Made: the parsed file (checked whole before the first step), the
// namespace's paths and the undo log of this call. Taken away: only the
// paths, since the file may have changed or gone since: each part keeps a
// record under paths.networkState of what it made, and removes exactly that.

import type { NamespacePaths } from '../name.js';
import type { Rollback } from './wireguard.js';
import type { NetworkConf } from './network-conf.js';

export interface NetworkSetup {
  readonly paths: NamespacePaths;
  readonly conf: NetworkConf;
  readonly undo: Rollback;
}

export interface NetworkTeardown {
  readonly paths: NamespacePaths;
  /** Lines for the caller: what could not be removed or was kept, and why. */
  readonly notes: string[];
}
