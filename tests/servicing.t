#!/bin/bash
# Windows To Go servicing: what `write` changes in the image before it is
# applied, read back from the NTFS partition of the written disk with
# ntfscat, then hivexget/hivexregedit (hives) and xmllint (unattend.xml).
. "$(dirname "$0")/lib.sh"
need_fixtures
use_asan
STAGE=$TMP/stage
DISKS=$TMP/disks
mkdir -p "$STAGE" "$DISKS"
export MTOOLS_SKIP_CHECK=1

# The source images must never change: their hashes before, checked last.
sha256sum "$FIXTURES"/*.wim >"$TMP/wim.sha256"

# ntfs_file DISK PATH: a file of the disk's Windows partition, on stdout
ntfs_file() {
	local part=$1.ntfs start size
	if [ ! -e "$part" ]; then
		read -r start size < <(sfdisk --json "$1" |
			jq -r '.partitiontable.partitions[2] | "\(.start) \(.size)"')
		dd if="$1" of="$part" bs=1M skip=$((start / 2048)) count=$((size / 2048)) status=none
	fi
	ntfscat "$part" "$2"
}
# reg DISK HIVE KEY VALUE: the value as hivexregedit exports it ("dword:00000004")
reg() {
	ntfs_file "$1" "/Windows/System32/config/$2" >"$TMP/hive"
	hivexregedit --export "$TMP/hive" "$3" 2>/dev/null | sed -n "s/^\"$4\"=//p" | tr -d '\r'
}
# answer DISK XPATH: what xmllint finds in the disk's unattend.xml
answer() {
	ntfs_file "$1" /Windows/Panther/unattend.xml >"$TMP/unattend.xml"
	xmllint --xpath "$2" "$TMP/unattend.xml" 2>/dev/null
}
u() { printf "//*[local-name()='%s']" "$@" | sed 's,\]//,]/,g'; }  # u settings component X: a path
# change PLAN_JSON KIND WHERE NAME: the "new" of a planned change
change() { jq -r --arg k "$2" --arg w "$3" --arg n "$4" \
	'.plan.changes[] | select(.kind == $k and .where == $w and .name == $n) | .new' <<<"$1"; }

# Driver packages: two folders with a .inf, and files that are no package.
DRV=$TMP/drivers
mkdir -p "$DRV/net/x64" "$DRV/touchpad" "$DRV/docs"
printf '[Version]\r\nSignature="$WINDOWS NT$"\r\nClass=Net\r\n' >"$DRV/net/x64/e1000.INF"
head -c 3000 /dev/urandom >"$DRV/net/x64/e1000.sys"
head -c 500 /dev/urandom >"$DRV/net/x64/e1000.cat"
printf '[Version]\r\nClass=HIDClass\r\n' >"$DRV/touchpad/tp.inf"
echo "read me" >"$DRV/docs/README.txt"
(cd "$DRV" && zip -qr "$TMP/drivers.zip" .)
(cd "$DRV/docs" && zip -q "$TMP/noinf.zip" README.txt)

### Every option, x64 image, drivers from a folder ###########################

disk=$DISKS/x64.img
TZ=Europe/Paris run_wintogo write --json --seed 5 --size 400M --tmpdir "$STAGE" --portable-flag \
	--user anna --skip-oobe --bypass-nro --timezone host --computer-name WTG-TEST --locale en-US \
	--drivers "$DRV" "$FIXTURES/x64.wim" "$disk"
is "$RC" 0 "write x64.wim with every servicing option"
[ "$RC" -eq 0 ] || diag "$ERR"
plan=$(head -1 <<<"$OUT")
check "nothing is left in the stage" no_leftovers "$STAGE"

cs='SYSTEM\ControlSet001'
is "$(change "$plan" registry "$cs\\Services\\partmgr\\Parameters" SanPolicy)" 4 \
	"the plan lists SanPolicy = 4 in the current control set"
is "$(change "$plan" registry "$cs\\Control" PortableOperatingSystem)" 1 \
	"the plan lists PortableOperatingSystem = 1"
is "$(jq -r '.plan.changes[] | select(.name == "BootDriverFlags") | "\(.old) \(.new)"' <<<"$plan")" "0x0 0x14" \
	"the plan lists BootDriverFlags 0x0 -> 0x14"
is "$(change "$plan" answer "oobeSystem Microsoft-Windows-Shell-Setup" TimeZone)" "Romance Standard Time" \
	"--timezone host with TZ=Europe/Paris is Romance Standard Time"
is "$(jq -r '[.plan.changes[] | select(.kind == "file") | .where] | join(" ")' <<<"$plan")" \
	'\Windows\wintogo\Drivers \Windows\Panther\unattend.xml' "the plan lists the files it adds"
is "$(jq -r '[.plan.changes[] | select(.why == null and .kind != "answer")] | length' <<<"$plan")" 0 \
	"every registry and file change says what it does"

is "$(reg "$disk" SYSTEM "\\ControlSet001\\Services\\partmgr\\Parameters" SanPolicy)" dword:00000004 \
	"SYSTEM on NTFS: SanPolicy = 4 (internal disks offline)"
is "$(reg "$disk" SYSTEM "\\ControlSet001\\Control" PortableOperatingSystem)" dword:00000001 \
	"SYSTEM on NTFS: PortableOperatingSystem = 1"
is "$(reg "$disk" SYSTEM '\HardwareConfig\{4d5e6f70-8192-4a3b-9c4d-5e6f708192a3}' BootDriverFlags)" \
	dword:00000014 "SYSTEM on NTFS: HardwareConfig's BootDriverFlags 0 became 0x14"
ntfs_file "$disk" /Windows/System32/config/SOFTWARE >"$TMP/SOFTWARE"
is "$(hivexget "$TMP/SOFTWARE" '\Microsoft\Windows\CurrentVersion' DevicePath)" \
	'%SystemRoot%\inf;%SystemRoot%\wintogo\Drivers' "SOFTWARE on NTFS: DevicePath lists the drivers folder"
like "$(hivexregedit --export "$TMP/SOFTWARE" '\Microsoft\Windows\CurrentVersion' | grep DevicePath)" \
	'^"DevicePath"=hex\(2\):' "and stays REG_EXPAND_SZ"
is "$(hivexget "$TMP/SOFTWARE" '\Microsoft\Windows NT\CurrentVersion' ProductName)" "Windows 10 Pro" \
	"the rest of SOFTWARE is kept"

check "unattend.xml on NTFS is well-formed (xmllint)" \
	bash -c "ntfscat '$disk.ntfs' /Windows/Panther/unattend.xml | xmllint --noout -"
is "$(answer "$disk" "string(/*[local-name()='unattend']/namespace::*[name()=''])")" \
	urn:schemas-microsoft-com:unattend "its root is <unattend> in the unattend namespace"
is "$(answer "$disk" "//*[local-name()='component']/@processorArchitecture" | sort -u | tr -d ' \n')" \
	'processorArchitecture="amd64"' "every component is for amd64"
is "$(answer "$disk" "string($(u settings)[@pass='specialize']$(u ComputerName))")" WTG-TEST \
	"ComputerName in specialize"
is "$(answer "$disk" "string($(u settings)[@pass='oobeSystem']$(u TimeZone))")" "Romance Standard Time" \
	"TimeZone in oobeSystem"
is "$(answer "$disk" "concat($(u HideEULAPage),' ',$(u ProtectYourPC))")" "true 3" \
	"--skip-oobe: EULA page hidden, ProtectYourPC 3"
is "$(answer "$disk" "string($(u settings)[@pass='oobeSystem']$(u LocalAccount Name))")" anna \
	"the local account in oobeSystem"
is "$(answer "$disk" "string($(u LocalAccount Group))")" Administrators "is an administrator"
is "$(answer "$disk" "string($(u LocalAccount Password Value))")" UABhAHMAcwB3AG8AcgBkAA== \
	"with an empty password (Base64 of UTF-16LE \"Password\")"
like "$(answer "$disk" "string($(u FirstLogonCommands))")" 'net user "anna" /logonpasswordchg:yes' \
	"that must be changed at first logon"
like "$(answer "$disk" "string($(u settings)[@pass='specialize']$(u RunSynchronous))")" \
	'OOBE /v BypassNRO /t REG_DWORD /d 1' "--bypass-nro: a specialize command sets BypassNRO"
like "$(answer "$disk" "string($(u settings)[@pass='specialize']$(u RunSynchronous))")" \
	'pnputil /add-driver "%SystemRoot%\\wintogo\\Drivers\\\*.inf" /subdirs /install' \
	"--drivers: a specialize command installs them with pnputil"
is "$(answer "$disk" "concat($(u InputLocale),' ',$(u UILanguage),' ',$(u UserLocale))")" \
	"en-US en-US en-US" "--locale: the International-Core locales"
check "drivers on NTFS, byte for byte (folder)" \
	bash -c "ntfscat '$disk.ntfs' /Windows/wintogo/Drivers/net/x64/e1000.sys | cmp -s - '$DRV/net/x64/e1000.sys' &&
		ntfscat '$disk.ntfs' /Windows/wintogo/Drivers/touchpad/tp.inf | cmp -s - '$DRV/touchpad/tp.inf'"
check "the boot files are still the image's" \
	bash -c "ntfscat '$disk.ntfs' /Windows/Boot/EFI/bootmgfw.efi | cmp -s - '$FIXTURES/tree-x64/Windows/Boot/EFI/bootmgfw.efi'"

### Current control set 2 ####################################################

disk=$DISKS/cs2.img
run_wintogo write --seed 5 --size 400M --tmpdir "$STAGE" --portable-flag "$FIXTURES/cs2.wim" "$disk"
is "$RC" 0 "write cs2.wim (Select\\Current = 2)"
like "$OUT" 'SYSTEM\\ControlSet002\\Services\\partmgr\\Parameters\\SanPolicy = 4 \(REG_DWORD, was not set\)' \
	"the text plan names ControlSet002"
is "$(reg "$disk" SYSTEM "\\ControlSet002\\Services\\partmgr\\Parameters" SanPolicy)" dword:00000004 \
	"SanPolicy is in ControlSet002, its missing Parameters key made"
is "$(reg "$disk" SYSTEM "\\ControlSet002\\Control" PortableOperatingSystem)" dword:00000001 \
	"PortableOperatingSystem is in ControlSet002"
is "$(reg "$disk" SYSTEM "\\ControlSet001\\Services\\partmgr\\Parameters" SanPolicy)$(reg "$disk" SYSTEM "\\ControlSet001\\Control" PortableOperatingSystem)" \
	"" "ControlSet001 is left alone"
check "without first-boot options no unattend.xml is added" \
	bash -c "! ntfscat '$disk.ntfs' /Windows/Panther/unattend.xml >/dev/null 2>&1"
check "without --drivers SOFTWARE is the image's, byte for byte" \
	bash -c "wimextract '$FIXTURES/cs2.wim' 1 /Windows/System32/config/SOFTWARE --to-stdout | cmp -s - <(ntfscat '$disk.ntfs' /Windows/System32/config/SOFTWARE)"

### arm64, drivers from a zip ################################################

disk=$DISKS/arm64.img
run_wintogo write --quiet --size 400M --tmpdir "$STAGE" --user anna --timezone "W. Europe Standard Time" \
	--drivers "$TMP/drivers.zip" "$FIXTURES/arm64.wim" "$disk"
is "$RC" 0 "write arm64.wim with drivers from a zip"
is "$(answer "$disk" "//*[local-name()='component']/@processorArchitecture" | sort -u | tr -d ' \n')" \
	'processorArchitecture="arm64"' "every component of its unattend.xml is for arm64"
is "$(answer "$disk" "string($(u TimeZone))")" "W. Europe Standard Time" "--timezone takes a Windows zone name"
check "drivers from the zip on NTFS, byte for byte" \
	bash -c "ntfscat '$disk.ntfs' /Windows/wintogo/Drivers/net/x64/e1000.INF | cmp -s - '$DRV/net/x64/e1000.INF' &&
		ntfscat '$disk.ntfs' /Windows/wintogo/Drivers/docs/README.txt | cmp -s - '$DRV/docs/README.txt'"
is "$(ntfs_file "$disk" /Windows/System32/config/SOFTWARE >"$TMP/SOFTWARE" &&
	hivexget "$TMP/SOFTWARE" '\Microsoft\Windows\CurrentVersion' DevicePath)" \
	'%SystemRoot%\inf;%SystemRoot%\wintogo\Drivers' "DevicePath lists the folder"
check "nothing is left in the stage" no_leftovers "$STAGE"

### --unattend FILE, taken as is; defaults ###################################

cat >"$TMP/mine.xml" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<unattend xmlns="urn:schemas-microsoft-com:unattend">
  <!-- the user's own answers: wintogo must not touch a byte -->
  <settings pass="oobeSystem"/>
</unattend>
EOF
disk=$DISKS/mine.img
run_wintogo write --quiet --size 400M --tmpdir "$STAGE" --locale de-DE --unattend "$TMP/mine.xml" \
	"$FIXTURES/x64.wim" "$disk"
is "$RC" 0 "write with --unattend FILE"
ntfs_file "$disk" /Windows/Panther/unattend.xml >"$TMP/got.xml" 2>/dev/null
check "unattend.xml on NTFS is FILE, byte for byte" cmp "$TMP/got.xml" "$TMP/mine.xml"
is "$(reg "$disk" SYSTEM "\\ControlSet001\\Control" PortableOperatingSystem)" "" \
	"PortableOperatingSystem is not set by default"
is "$(reg "$disk" SYSTEM "\\ControlSet001\\Services\\partmgr\\Parameters" SanPolicy)" dword:00000004 \
	"SanPolicy 4 is the default of write"

run_wintogo write --dry-run --json --san-policy=online-all "$FIXTURES/x64.wim" "$DISKS/dry.img"
is "$(change "$OUT" registry "$cs\\Services\\partmgr\\Parameters" SanPolicy)" 1 \
	"--san-policy=online-all plans SanPolicy = 1"
is "$(jq -r '[.plan.changes[].name] | join(" ")' <<<"$OUT")" "SanPolicy BootDriverFlags" \
	"and nothing but SanPolicy and the USB boot flags by default"
check "--dry-run writes nothing and leaves no stage" no_leftovers "$STAGE"
check "no disk either" test ! -e "$DISKS/dry.img"

### Refusals: one line, before anything is written ##########################

R=$TMP/refused
mkdir -p "$R"
printf '<unattend xmlns="urn:schemas-microsoft-com:unattend">\n<settings>\n</unattend>\n' >"$TMP/broken.xml"
refuses "--unattend with broken XML is refused" "broken.xml' is not well-formed XML \(line [0-9]+" \
	write --tmpdir "$STAGE" --unattend "$TMP/broken.xml" "$FIXTURES/x64.wim" "$R/a.img"
printf '<html/>\n' >"$TMP/html.xml"
refuses "--unattend with XML that is no answer file is refused" "root must be <unattend" \
	write --tmpdir "$STAGE" --unattend "$TMP/html.xml" "$FIXTURES/x64.wim" "$R/a.img"
refuses "a corrupt SYSTEM hive is a clear error" "the SYSTEM hive of image 1 of .*badsystem.wim' is damaged" \
	write --tmpdir "$STAGE" "$FIXTURES/badsystem.wim" "$R/b.img"
refuses "drivers without a .inf are refused" "noinf.zip' holds no driver package \(no .inf" \
	write --tmpdir "$STAGE" --drivers "$TMP/noinf.zip" "$FIXTURES/x64.wim" "$R/c.img"
refuses "drivers that are no archive are refused" "neither a folder nor an archive" \
	write --tmpdir "$STAGE" --drivers "$TMP/mine.xml" "$FIXTURES/x64.wim" "$R/d.img"
refuses "missing drivers are refused" "cannot open the drivers" \
	write --tmpdir "$STAGE" --drivers "$TMP/nothing" "$FIXTURES/x64.wim" "$R/e.img"
(cd "$TMP" && rm -rf evil && mkdir -p evil/a && cp "$DRV/touchpad/tp.inf" evil/a/ &&
	cd evil/a && bsdtar -cf "$TMP/evil.tar" ../a/tp.inf -s ',^,../,' 2>/dev/null)
refuses "an archive with a path leading out of its folder is refused" "a path outside the archive" \
	write --tmpdir "$STAGE" --drivers "$TMP/evil.tar" "$FIXTURES/x64.wim" "$R/f.img"
run_wintogo write --tmpdir "$STAGE" --timezone "Mars Standard Time" "$FIXTURES/x64.wim" "$R/g.img"
is "$RC" 2 "an unknown time zone is a usage error"
like "$ERR" "--timezone wants a Windows time zone .*, not 'Mars Standard Time'" "which names the option and the value"
check "no refusal left a file or a stage" no_leftovers "$STAGE" "$R"

for args in "--computer-name THIS-NAME-IS-TOO-LONG" "--computer-name 12345" "--user Administrator" \
	"--user a/b" "--san-policy offline" "--unattend $TMP/mine.xml --user anna"; do
	# shellcheck disable=SC2086 # the words are the options
	run_wintogo write $args "$FIXTURES/x64.wim" "$R/u.img"
	is "$RC" 2 "usage error: $args"
done

check "the source images' SHA-256 are unchanged" sha256sum --quiet -c "$TMP/wim.sha256"
done_testing
