import { pathsFor } from '../name.js';

/**
 * The drop-in that confines an existing service to NAME the way the NixOS
 * module's per-namespace serviceConfig does: systemd enters the network
 * namespace and bind-mounts the namespace's resolver files itself, so the
 * service needs no netns-run in its ExecStart=. It binds the files in
 * /etc/netns/NAME directly: an edit is seen when the service restarts. The
 * covers are the ones a run gets (name.ts).
 */
export function dropIn(name: string): string {
  const paths = pathsFor(name);
  const binds = paths.covered.map(({ kind, configured, source, host }) =>
    kind === 'file' ? `BindReadOnlyPaths=${configured ?? source}:${host}` : `BindPaths=${source}:${host}`,
  );
  return `# Confines this service to network namespace ${name} with netns-run's DNS isolation.
# Install: systemctl edit SERVICE (paste this), or save as
# /etc/systemd/system/SERVICE.service.d/netns-${name}.conf and run systemctl daemon-reload.
[Unit]
Requires=netns-run@${name}.service
After=netns-run@${name}.service

[Service]
NetworkNamespacePath=${paths.netns}
${binds.join('\n')}
`;
}
