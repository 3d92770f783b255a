import { pathsFor } from '../name.js';

/**
 * The drop-in that confines an existing service to NAME the way the NixOS
 * module's per-namespace serviceConfig does: systemd enters the network
 * namespace and bind-mounts the namespace's resolver files itself, so the
 * service needs no netns-run in its ExecStart=. It binds the files in
 * /etc/netns/NAME directly: an edit is seen when the service restarts. The
 * covers are the ones a run gets (name.ts).
 *
 * One difference no unit option can remove on systemd 252 and older: /sys
 * stays the host's (sysfs shows the network namespace of whoever mounted
 * it), so /sys/class/net lists the host's links. systemd 253 and later
 * mount a /sys of the namespace for NetworkNamespacePath= themselves.
 */
export function dropIn(name: string): string {
  const paths = pathsFor(name);
  // As in a run: the files read-only; the nscd cover an empty directory of
  // root's, writable by root alone (an nscd run in NAME may put its socket there).
  // systemd-resolved's directory is hidden where it exists and never made where it does not ("-").
  const binds = paths.covered.map(({ kind, configured, source, host }) =>
    kind === 'file' ? `BindReadOnlyPaths=${configured ?? source}:${host}` : kind === 'optional-directory' ? `InaccessiblePaths=-${host}` : `BindPaths=${source}:${host}`,
  );
  return `# Confines this service to network namespace ${name} with netns-run's DNS isolation.
# Install: systemctl edit SERVICE (paste this), or save as
# /etc/systemd/system/SERVICE.service.d/netns-${name}.conf and run systemctl daemon-reload.
[Unit]
Requires=netns-run@${name}.service
After=netns-run@${name}.service

[Service]
# /sys/class/net shows ${name}'s links on systemd 253 and later, the host's on older
# ones; netns-run ${name} -- COMMAND in ExecStart= shows ${name}'s everywhere.
NetworkNamespacePath=${paths.netns}
${binds.join('\n')}
`;
}
