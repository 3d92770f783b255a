#!/bin/bash
# Boots systemd as PID 1 of a new PID namespace, for test/systemd: a private
# mount namespace with throwaway /etc, /home, /var/lib/systemd (copies in
# WORKDIR), tmpfs on /run, /tmp, /var/log, a cgroup and a network namespace
# of its own (lo and a veth pair nrdv0/nrdv1: the tests' "host network").
#   systemd-pid1.sh WORKDIR PROJECT NODE
# Writes WORKDIR/pid1 (systemd's PID as the host sees it) and WORKDIR/cgroup
# (the cgroup directory made for it), then execs systemd. Inside,
# PROJECT is at /mnt/proj, WORKDIR at /mnt/work, and /usr/bin is an overlay
# with two more entries: netns-run -> /mnt/proj/bin/netns-run and node ->
# NODE (so that sudo's and pkexec's fixed PATHs find the Node under test);
# where overlayfs cannot be used, a tmpfs of symbolic links (NRD_NO_OVERLAY=1
# forces that).
# Nothing of the host's is written, except WORKDIR and the cgroup dirs.
# Reach it with `nsenter -t PID -a CMD`; stop it with `systemctl poweroff`
# there, or kill -9 PID; then remove the cgroup dirs (test/support/systemd.ts).
set -eu
W=$1 P=$2 N=$3
if [ "${4:-}" != stage2 ]; then
  rm -rf "$W/etc" "$W/home" "$W/varlib" "$W/upper" "$W/ovl"
  mkdir -p "$W/upper" "$W/ovl"
  cp -a /etc "$W/etc"; cp -a /home "$W/home"; cp -a /var/lib/systemd "$W/varlib"
  # Not the host's namespaces' files, sudo rules or policy lines: a clean slate.
  rm -rf "$W/etc/netns" "$W/etc/netns-run" "$W/etc/netns-run.conf"
  find "$W/etc/sudoers.d" -name 'nr*' -delete
  M=$W/etc/systemd/system
  # What would touch the machine, wait for hardware, or start the host's daemons twice.
  for u in systemd-timesyncd.service systemd-pstore.service getty@tty1.service getty.target \
      console-getty.service serial-getty@.service container-getty@.service postgresql.service unscd.service nscd.service \
      e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
      fstrim.timer man-db.timer systemd-tmpfiles-clean.timer systemd-sysctl.service systemd-modules-load.service \
      systemd-binfmt.service proc-sys-fs-binfmt_misc.automount systemd-remount-fs.service \
      systemd-journald-audit.socket systemd-firstboot.service systemd-repart.service \
      systemd-pcrphase.service systemd-pcrphase-sysinit.service systemd-machine-id-commit.service \
      sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount sys-fs-fuse-connections.mount \
      ssh.service cron.service docker.service containerd.service rsyslog.service; do
    ln -sf /dev/null "$M/$u"
  done
  # A cgroup of its own, in the v2 hierarchy (hybrid hosts mount it at /sys/fs/cgroup/unified).
  h=/sys/fs/cgroup/unified; [ -f "$h/cgroup.procs" ] || h=/sys/fs/cgroup
  cg="$h/$(basename "$W")"
  mkdir "$cg"; echo "$cg" > "$W/cgroup"; echo $$ > "$cg/cgroup.procs"
  exec unshare --mount --propagation private --cgroup --pid --fork --uts --ipc --net "$0" "$W" "$P" "$N" stage2
fi
# our PID as the host sees it, read before /proc is the new namespace's
while read -r key host _; do [ "$key" = NSpid: ] && echo "$host" > "$W/pid1.new"; done < /proc/self/status
mount -t proc proc /proc
# A network of its own, which the tests may use freely: lo and a veth pair,
# and a /sys that shows them (sysfs shows the mounter's network namespace).
ip link set lo up; ip link add nrdv0 type veth peer name nrdv1
umount -l /sys; mount -t sysfs nrdsys /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount --bind "$W/etc" /etc; mount --bind "$W/home" /home; mount --bind "$W/varlib" /var/lib/systemd
mount -t tmpfs -o mode=0755 nrdlog /var/log
mkdir -p /var/log/private; touch /var/log/lastlog /var/log/faillog /var/log/wtmp /var/log/btmp
# here /run may be no tmpfs: leave the host's mounts under it behind
findmnt -rn -o TARGET | grep '^/run/' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
mount -t tmpfs -o mode=0755 nrdrun /run
mount -t tmpfs -o mode=0755 nrdmnt /mnt; mkdir -p /mnt/proj /mnt/work
mount --bind "$P" /mnt/proj; mount --bind "$W" /mnt/work
ln -s /mnt/proj/bin/netns-run "$W/upper/netns-run"
[ "$N" = /usr/bin/node ] || ln -sf "$N" "$W/upper/node"
if [ -n "${NRD_NO_OVERLAY:-}" ] || ! mount -t overlay -o "lowerdir=/usr/bin,upperdir=$W/upper,workdir=$W/ovl" nrdbin /usr/bin 2>/dev/null; then
  # No overlay here (WORKDIR on an overlayfs, as in a container): a tmpfs of
  # symbolic links to the real /usr/bin, which stays reachable at /mnt/usrbin.
  mkdir /mnt/usrbin; mount --bind /usr/bin /mnt/usrbin
  mount -t tmpfs -o mode=0755 nrdbin /usr/bin
  /mnt/usrbin/cp -s -P /mnt/usrbin/* /usr/bin/
  for f in "$W"/upper/*; do /mnt/usrbin/ln -sf "$(/mnt/usrbin/readlink "$f")" "/usr/bin/${f##*/}"; done
fi
mv "$W/pid1.new" "$W/pid1"
# WORKDIR may be under /tmp: from here on it is /mnt/work.
mount -t tmpfs -o mode=1777 nrdtmp /tmp
mount --make-rshared /   # as a real boot has it
export container=other
exec /usr/lib/systemd/systemd --system --log-target=journal --show-status=0 </dev/null
