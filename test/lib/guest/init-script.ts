/**
 * The guest's PID 1, a busybox shell script. It prepares the machine and then serves commands
 * from the host on the second serial port (/dev/ttyS1). The first serial port is the kernel
 * console, so kernel messages never land in the command channel.
 *
 * Wire protocol on ttyS1 (all lines end in "\n"; every payload is base64, so a payload can never
 * look like a marker and binary output survives):
 *   guest → host  `@@guest-ready <problems>`            once, when the guest can take commands;
 *                                                         problems is empty when all went well
 *   host → guest  `run <id> <seconds> <n>` then n bytes: the base64 script, then "\n"
 *                                                       run a script with a time limit
 *   guest → host  `@@guest-begin <id>` base64(stdout) `@@guest-stderr <id>` base64(stderr)
 *                 `@@guest-end <id> <exit code>`
 *   host → guest  `poweroff`                            power off without syncing
 *
 * The guest's address and the host's (its loopback, as qemu's user-mode network shows it) are
 * qemu's user-mode defaults. There is deliberately no default route: the guest can reach the
 * host's loopback through 10.0.2.2 and nothing beyond the emulated subnet.
 */

export const GUEST_ADDRESS = '10.0.2.15';
/** The host's loopback interface as the guest sees it (qemu user-mode networking). */
export const HOST_ADDRESS_FROM_GUEST = '10.0.2.2';

/** Kernel command line parameter the init reads its hostname from. */
export const HOSTNAME_PARAMETER = 'fallthru.hostname';

export const MARK_READY = '@@guest-ready';
export const MARK_BEGIN = '@@guest-begin';
export const MARK_STDERR = '@@guest-stderr';
export const MARK_END = '@@guest-end';

/** File listing module names (one per line, dependencies first); modules live in MODULES_DIR. */
export const MODULE_LIST_PATH = '/etc/guest/modules';
export const MODULES_DIR = '/lib/modules/guest';

export const INIT_SCRIPT = `#!/bin/busybox sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# The host names each guest (AUTH_SYS credentials carry it, so two clients are told apart).
hostname guest
for arg in $(cat /proc/cmdline); do
  case "$arg" in ${HOSTNAME_PARAMETER}=*) hostname "\${arg#*=}" ;; esac
done
problems=""

# busybox insmod does not resolve dependencies: the host wrote the list in load order.
while read -r module; do
  insmod ${MODULES_DIR}/$module.ko || problems="$problems insmod:$module"
done < ${MODULE_LIST_PATH}
grep -qw nfs /proc/filesystems || problems="$problems no-nfs-filesystem"

ip link set lo up
# virtio_net binds during insmod, but give a late probe a moment rather than failing at once.
tries=0
while [ ! -e /sys/class/net/eth0 ] && [ $tries -lt 50 ]; do sleep 0.1; tries=$((tries + 1)); done
{ ip addr add ${GUEST_ADDRESS}/24 dev eth0 && ip link set eth0 up; } || problems="$problems eth0"

channel=/dev/ttyS1
# Raw mode: no echo, no newline translation, no signal characters.
stty -F $channel raw -echo || problems="$problems stty"
exec 3<>$channel
work=/run/guest
mkdir -p $work
echo "${MARK_READY}$problems" >&3

while read -r verb id seconds length <&3; do
  case "$verb" in
    run)
      # head -c, not read: ash's read takes one byte per syscall, which crawls under emulation.
      head -c "$length" <&3 | base64 -d > $work/$id.sh
      # setsid: the script leads its own process group, so a timeout can kill what it started.
      # 3>&-: the script must not inherit (and garble) the command channel.
      cd /
      timeout -s KILL "$seconds" setsid sh $work/$id.sh < /dev/null > $work/$id.out 2> $work/$id.err 3>&- &
      pid=$!
      wait $pid
      code=$?
      # 137 = killed by SIGKILL: the time limit hit (or the script killed itself); take down the
      # rest of its process group too, so nothing keeps running behind the host's back.
      [ $code -eq 137 ] && kill -9 -$pid 2> /dev/null
      {
        echo "${MARK_BEGIN} $id"
        base64 $work/$id.out
        echo "${MARK_STDERR} $id"
        base64 $work/$id.err
        echo "${MARK_END} $id $code"
      } >&3
      rm -f $work/$id.sh $work/$id.out $work/$id.err
      ;;
    poweroff)
      # No sync: it could block forever on an NFS mount whose server is gone. Tests that care
      # about flushing run "sync" themselves.
      poweroff -f -n
      ;;
  esac
done
echo "guest: command channel closed" > /dev/console
poweroff -f -n
`;
