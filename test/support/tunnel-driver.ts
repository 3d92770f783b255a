// Runs the tunnel code of src/network the way netns-run's setup will, as a
// program of its own, so that kernel tests can run it inside the world's
// host stand-in (nsenter --net=...) before and apart from the command line:
//   node tunnel-driver.js make NAME [kernel|userspace]   every /etc/netns-run/NAME/IFNAME.conf, all or nothing
//   node tunnel-driver.js remove NAME    what the state records say was made
//   node tunnel-driver.js inspect NAME IFNAME
// Errors end it the way netns-run ends: one line "netns-run: ...", status 125.
import { mkdirSync } from 'node:fs';
import { newUndo } from '../../src/ensure/undo.js';
import { NetnsRunError, oneLine } from '../../src/errors.js';
import { checkName, pathsFor } from '../../src/name.js';
import { loadNetworkConfig } from '../../src/network/config.js';
import { findTool } from '../../src/tools.js';
import { chooseBackend, findTunnelTools, inspectTunnel, makeTunnel, removeTunnels, type Backend } from '../../src/network/wireguard.js';

async function main(): Promise<void> {
  const [command, name, ifname] = process.argv.slice(2);
  // make's third word forces a backend, so that each path can be tested where both exist.
  const forced = command === 'make' ? ifname : undefined;
  const paths = pathsFor(checkName(name ?? ''));
  const tools = findTunnelTools();
  switch (command) {
    case 'make': {
      // Checked, all of it, before anything is made.
      const spec = loadNetworkConfig(paths);
      const undo = await newUndo();
      try {
        mkdirSync(paths.stateDir, { recursive: true, mode: 0o755 });
        const backend: Backend =
          forced === 'kernel' ? { kind: 'kernel' } : forced === 'userspace' ? { kind: 'userspace', wireguardGo: findTool('wireguard-go') } : chooseBackend(tools);
        const made = spec.interfaces.map((wg) => makeTunnel(wg, paths, backend, tools, undo));
        undo.commit();
        process.stdout.write(`${JSON.stringify(made)}\n`);
      } catch (error) {
        undo.rollback();
        throw error;
      }
      return;
    }
    case 'remove':
      process.stdout.write(`${JSON.stringify(removeTunnels(paths, tools))}\n`);
      return;
    case 'inspect':
      process.stdout.write(`${JSON.stringify(inspectTunnel(paths, ifname ?? '', tools))}\n`);
      return;
    default:
      throw new NetnsRunError(`unknown command ${command}`);
  }
}

main().catch((error: unknown) => {
  if (error instanceof NetnsRunError) {
    process.stderr.write(`netns-run: ${oneLine(error.message)}\n`);
    process.exitCode = error.status;
  } else {
    process.stderr.write(`netns-run: unexpected failure: ${oneLine(String((error as Error)?.stack ?? error))}\n`);
    process.exitCode = 125;
  }
});
