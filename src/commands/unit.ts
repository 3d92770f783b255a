/**
 * The drop-in that confines an existing service to NAME the way the NixOS
 * module's per-namespace serviceConfig does: systemd enters the network
 * namespace and bind-mounts the namespace's resolver files itself, so the
 * service needs no netns-run in its ExecStart=. It binds the files in
 * /etc/netns/NAME directly: an edit is seen when the service restarts.
 */
export function dropIn(name: string): string {
  return `# Confines this service to network namespace ${name} with netns-run's DNS isolation.
# Install: systemctl edit SERVICE (paste this), or save as
# /etc/systemd/system/SERVICE.service.d/netns-${name}.conf and run systemctl daemon-reload.
[Unit]
Requires=netns-run@${name}.service
After=netns-run@${name}.service

[Service]
NetworkNamespacePath=/run/netns/${name}
BindReadOnlyPaths=/etc/netns/${name}/resolv.conf:/etc/resolv.conf
BindReadOnlyPaths=/etc/netns/${name}/nsswitch.conf:/etc/nsswitch.conf
BindPaths=/run/netns-${name}/nscd:/run/nscd
`;
}
