// network.conf: see network/conf/ for what the file declares. Stub until its work lands.
import type { NetworkSetup, NetworkTeardown } from './context.js';

export function runUpHooks(setup: NetworkSetup): void {
  void setup;
}

export function runDownHooks(teardown: NetworkTeardown): void {
  void teardown;
}
