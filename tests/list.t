#!/bin/bash
# wintogo list: fake sysfs, /dev and /proc trees with the disks users have
# (a USB stick, a USB SSD without the removable bit, an NVMe system disk,
# an MMC card, a mounted stick, loop devices, a RAM disk) and the verdict
# each must get; then the real machine, whose system disk must be refused.
. "$(dirname "$0")/lib.sh"
use_asan
need_fixtures
S=$TMP/sys P=$TMP/proc D=$TMP/dev
mkdir -p "$S/block" "$S/class/block" "$P/self" "$D"

# disk NAME DEVPATH SIZE_MIB MAJ:MIN REMOVABLE [ATTR=VALUE...]: a whole disk
# whose sysfs directory lives at $S/devices/DEVPATH, as the kernel lays it out.
disk() {
	local name=$1 devpath=$2 mib=$3 devno=$4 rm=$5 dir=$S/devices/$2/block/$1
	shift 5
	mkdir -p "$dir/queue" "$dir/device"
	echo $((mib * 2048)) >"$dir/size"
	echo "$devno" >"$dir/dev"
	echo "$rm" >"$dir/removable"
	echo 0 >"$dir/ro"
	echo 512 >"$dir/queue/logical_block_size"
	echo 512 >"$dir/queue/physical_block_size"
	echo 0 >"$dir/queue/rotational"
	local kv
	for kv in "$@"; do
		mkdir -p "$(dirname "$dir/${kv%%=*}")"
		echo "${kv#*=}" >"$dir/${kv%%=*}"
	done
	ln -s "../devices/$devpath/block/$name" "$S/block/$name"
}
# part DISK NAME START_MIB SIZE_MIB MAJ:MIN
part() {
	local dir
	dir=$(readlink -f "$S/block/$1")/$2
	mkdir -p "$dir"
	echo 1 >"$dir/partition"
	echo $(($3 * 2048)) >"$dir/start"
	echo $(($4 * 2048)) >"$dir/size"
	echo "$5" >"$dir/dev"
	ln -s "$dir" "$S/class/block/$2"
}

usb=pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0
disk sdb "$usb" 30000 8:16 1 device/vendor=SanDisk device/model="Extreme" device/serial=4C530001
part sdb sdb1 1 29999 8:17
disk sdc "${usb/2-1/2-2}" 476000 8:32 0 device/vendor=Samsung device/model="Portable SSD T7" device/serial=S6XN
disk sdd "${usb/2-1/2-3}" 16000 8:48 1 device/model="Cruzer Blade"
part sdd sdd1 1 15999 8:49
disk sde "${usb/2-1/2-4}" 256 8:64 1 device/model="Tiny Stick"
disk nvme0n1 pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1 953000 259:0 0 \
	device/model="WDC PC SN730" device/serial=2000AB
part nvme0n1 nvme0n1p1 1 260 259:1
part nvme0n1 nvme0n1p2 261 900000 259:2
part nvme0n1 nvme0n1p3 900261 16000 259:3
disk mmcblk0 platform/soc/mmc_host/mmc0/mmc0:aaaa 60000 179:0 0 device/name=SD64G device/serial=0x1234
disk loop0 virtual 1024 7:0 0 loop/backing_file=/var/tmp/disk.img
disk loop1 virtual 0 7:1 0
disk zram0 virtual 4096 252:0 0

cat >"$P/self/mountinfo" <<'MOUNTS'
22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
23 22 259:1 / /boot/efi rw,relatime shared:2 - vfat /dev/nvme0n1p1 rw
40 22 8:49 / /media/user/CRUZER\040BLADE rw,nosuid shared:20 - vfat /dev/sdd1 rw
MOUNTS
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/nvme0n1p3 partition 16383996 0 -2\n' >"$P/swaps"

list() { run_wintogo list --sysfs-root "$S" --dev-root /dev --proc-root "$P" "$@"; }
verdict() { jq -r --arg n "$1" '.disks[] | select(.name == $n) | .verdict' <<<"$OUT"; }
field() { jq -r --arg n "$1" ".disks[] | select(.name == \$n) | $2" <<<"$OUT"; }

list --all --json
is "$RC" 0 "list --all --json on a fake tree exits 0"
check "its output is one JSON document" jq -e '.disks | length == 9' <<<"$OUT"
is "$(jq -r '[.disks[].name] | join(" ")' <<<"$OUT")" "sdb sdc sdd sde mmcblk0 loop0 loop1 nvme0n1 zram0" \
	"USB disks come first, then MMC, then the rest"
is "$(verdict sdb)" ok "a USB stick is ok"
is "$(field sdb '"\(.transport) \(.vendor) \(.model) \(.serial) \(.size) \(.removable)"')" \
	"usb SanDisk Extreme 4C530001 31457280000 true" "with its transport, identity, size and removable bit"
is "$(field sdb '.notes[0]')" "removable-bit flash: Windows before 10 1703 sees only its first partition" \
	"and the note about Windows before 1703"
is "$(verdict sdc)" ok "a USB SSD without the removable bit is ok (Rufus and others hide it)"
is "$(field sdc '.transport')" usb "and is seen as USB by its bus, not by the removable bit"
is "$(verdict sdd)" mounted "a stick with a mounted partition is refused"
like "$(field sdd '.reason')" "/dev/sdd1 is mounted at /media/user/CRUZER BLADE; unmount it first" "saying where"
like "$(field sdd '.reason')" 'unmount it first, or let `wintogo write --unmount` do it$' "and how wintogo can do it"
is "$(field sdd '.unmountable')" true "only its own file system stands in the way: unmountable"
is "$(field nvme0n1 '.unmountable')" false "the system disk is never offered for unmounting"
is "$(field sdb '.unmountable')" false "nor a disk with nothing mounted"
is "$(verdict nvme0n1)" system "the NVMe disk with / and /boot/efi is refused as the system disk"
is "$(field nvme0n1 '[.partitions[] | .mountpoint // (if .swap then "swap" else "-" end)] | join(",")')" \
	"/boot/efi,/,swap" "its partitions show their mount points and swap"
is "$(field nvme0n1 '.transport')" nvme "and its transport is nvme"
is "$(verdict mmcblk0)" ok "an SD card is ok"
is "$(field mmcblk0 '"\(.transport) \(.model)"')" "mmc SD64G" "named by its MMC name"
is "$(verdict loop0)" ok "a loop device with a backing file is ok"
is "$(verdict loop1)" not-a-disk "a loop device without one is not a disk"
is "$(verdict zram0)" not-a-disk "a RAM disk is not a disk"

list --json
is "$(jq -r '[.disks[].name] | join(" ")' <<<"$OUT")" "sdb sdc sdd sde mmcblk0" \
	"without --all: only USB, MMC and removable disks"
list
like "$OUT" "/dev/sdc .*usb .*Portable SSD T7 .*ok" "the table shows the USB SSD as ok"
like "$OUT" "refused: /dev/sdd1? ?.*mounted" "and says why a disk is refused"
check "the internal NVMe disk is not in the default table" bash -c "! grep -q nvme0n1 <<<'$OUT'"

# --image: too small, and the disk that holds the image
list --all --json --image "$FIXTURES/x64.wim"
is "$(verdict sde)" too-small "a 256 MiB stick is too small for the image"
like "$(field sde '.reason')" "has 256.0 MiB but the image needs" "saying what it needs"
is "$(verdict sdb)" ok "a 30 GB stick is big enough"
devno=$(stat -c '%d' "$FIXTURES/x64.wim")
disk sdf "${usb/2-1/2-5}" 64000 8:80 1
part sdf sdf1 1 63999 "$((devno >> 8 & 0xfff)):$(((devno & 0xff) | (devno >> 12 & 0xfff00)))"
list --all --json --image "$FIXTURES/x64.wim"
is "$(verdict sdf)" source "the disk that holds the source image is refused"

# the real machine
run_wintogo list --all --json
is "$RC" 0 "list --all on this machine"
root_dev=$(findmnt -n -o MAJ:MIN / 2>/dev/null | tr -d " ")
root_disk=$(basename "$(readlink -f "/sys/dev/block/$root_dev/..")" 2>/dev/null)
[ -e "/sys/block/$root_disk" ] || root_disk=$(basename "$(readlink -f "/sys/dev/block/$root_dev")")
if [ -n "$root_disk" ] && [ -e "/sys/block/$root_disk" ]; then
	is "$(verdict "$root_disk")" system "the disk holding / ($root_disk) is refused as the system disk"
else
	skip "cannot tell which disk holds / here"
fi
run_wintogo list extra
is "$RC" 2 "list takes no arguments"
run_wintogo list --sysfs-root "$TMP/nowhere"
is "$RC" 1 "a missing sysfs is an error"
done_testing
