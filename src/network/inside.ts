// network.conf: see network/conf/ for what the file declares. Stub until its work lands.
import type { NetworkSetup } from './context.js';

export function configureInside(setup: NetworkSetup): void {
  void setup;
}
