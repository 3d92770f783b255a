// network.conf: see network/conf/ for what the file declares. Stub until its work lands.
import type { NetworkSetup, NetworkTeardown } from './context.js';

export function makeLinks(setup: NetworkSetup): void {
  void setup;
}

export function removeLinks(teardown: NetworkTeardown): void {
  void teardown;
}
