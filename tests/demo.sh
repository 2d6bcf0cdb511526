#!/bin/bash
# demo.sh WINTOGO FIXTURES OUTDIR - what `make demo` shows a new user.
set -euo pipefail
wintogo=$1 fixtures=$2 out=$3
mkdir -p "$out"
rm -f "$out/windows.img" "$out/windows.img.manifest.json"

step() { printf '\n== %s\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

step "The images inside the sample Windows image" "$wintogo" info "$fixtures/x64.wim"
step "A multi-edition image, checked against its integrity table" \
	"$wintogo" info --check "$fixtures/multi.wim"
"$wintogo" info --json "$fixtures/x64.wim" >"$out/x64-info.json"
step "A Windows To Go disk image from it" \
	"$wintogo" write --seed 42 "$fixtures/x64.wim" "$out/windows.img"
step "Its partition table, as sfdisk reads it" sfdisk -l "$out/windows.img"
step "Its BCD store, as the Windows Boot Manager will read it" \
	"$wintogo" info --bcd "$out/windows.img"

rm -rf "$out/windows.qcow2" "$out/windows.utm"
# probe exits 4 for "cannot boot": that is its answer here, not a failure
step "Will the disk boot on an Apple Silicon Mac (a MacBook Air M2)?" \
	"$wintogo" probe --host Mac14,2 "$out/windows.img" || true
step "And on a UEFI PC?" "$wintogo" probe --host pc-uefi "$out/windows.img" || true
step "The same Windows as a QCOW2 and a UTM bundle, for a Mac" \
	"$wintogo" vm --seed 42 --utm "$out" "$out/windows.img" "$out/windows.qcow2"
step "qemu-img's view of it" qemu-img check "$out/windows.qcow2"
step "Every block read back again and checked against the manifest in its ESP" \
	"$wintogo" verify "$out/windows.img"

cat <<DONE

== Where everything is
sample images:      $fixtures (x64.wim, multi.wim, x64.esd, split.swm, arm64.wim)
info as JSON:       $out/x64-info.json
VM disk, UTM:       $out/windows.qcow2, $out/windows.utm
disk image:         $out/windows.img (sparse; boot it with QEMU and OVMF, here
                    on the terminal, no display needed; Ctrl-A X ends QEMU:
                    qemu-system-x86_64 -machine q35 -m 1G -nic none -nographic \\
                      -bios /usr/share/ovmf/OVMF.fd -drive file=$out/windows.img,format=raw)
its manifest:       $out/windows.img.manifest.json (and \\wintogo\\manifest.json in its ESP)
wintogo binary:     $wintogo (alone on a terminal, it asks step by step)
manual pages:       man -l man/wintogo.1 (and one page per command: wintogo-list.1,
                    wintogo-info.1, wintogo-write.1, wintogo-verify.1, wintogo-speed.1,
                    wintogo-probe.1, wintogo-vm.1)
DONE
