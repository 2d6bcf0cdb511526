# utm_wizard.sh - wizard_table, sourced by tests/utm.t and tests/vmpart.t:
# a UTM bundle's config.plist against what UTM's own wizard writes.
# Needs PY (Debian's python3).

# wizard_table BUNDLE ARCH: every key and value of config.plist against the
# table below, and no key that is not in it.
wizard_table() {
	$PY - "$@" <<'PY'
import plistlib, re, sys, os
bundle, arch = sys.argv[1:]
d = plistlib.load(open(os.path.join(bundle, 'config.plist'), 'rb'))
x86 = arch == 'x86_64'
UUID = re.compile(r'^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$')
MAC = re.compile(r'^[0-9A-F][26AE](:[0-9A-F]{2}){5}$')  # locally administered unicast
ANY_UUID, ANY_MAC, ANY_NAME = object(), object(), object()
# What UTM 5.0.3's wizard writes for a Windows VM on an Apple Silicon Mac
# (Platform/Shared/VMWizardState.swift generateQemuConfig, with the defaults
# of Configuration/UTMQemuConfiguration*.swift): x86_64 emulated (q35),
# aarch64 virtualized (virt).  (key, wizard x86_64, wizard aarch64)
WIZARD = [
    ('Backend', 'QEMU', 'QEMU'),
    ('ConfigurationVersion', 4, 4),
    ('Information.Name', ANY_NAME, ANY_NAME),
    ('Information.Icon', 'windows', 'windows'),
    ('Information.IconCustom', False, False),
    ('Information.UUID', ANY_UUID, ANY_UUID),
    ('System.Architecture', 'x86_64', 'aarch64'),
    ('System.Target', 'q35', 'virt'),
    ('System.CPU', 'default', 'default'),
    ('System.CPUFlagsAdd', [], []),
    ('System.CPUFlagsRemove', [], []),
    ('System.CPUCount', 0, 0),
    ('System.ForceMulticore', False, False),
    ('System.MemorySize', 4096, 4096),
    ('System.JITCacheSize', 0, 0),
    ('QEMU.DebugLog', False, False),
    ('QEMU.UEFIBoot', True, True),
    ('QEMU.RNGDevice', True, True),
    ('QEMU.BalloonDevice', False, False),
    ('QEMU.TPMDevice', True, True),
    ('QEMU.Hypervisor', False, True),
    ('QEMU.TSO', False, False),
    ('QEMU.RTCLocalTime', True, True),
    ('QEMU.PS2Controller', False, False),
    ('QEMU.AdditionalArguments', [], []),
    ('Input.UsbBusSupport', '3.0', '3.0'),
    ('Input.UsbSharing', False, False),
    ('Input.MaximumUsbShare', 3, 3),
    ('Sharing.DirectoryShareMode', 'WebDAV', 'WebDAV'),
    ('Sharing.DirectoryShareReadOnly', False, False),
    ('Sharing.ClipboardSharing', True, True),
    ('Display.0.Hardware', 'virtio-vga-gl', 'virtio-ramfb-gl'),
    ('Display.0.DynamicResolution', True, True),
    ('Display.0.UpscalingFilter', 'Nearest', 'Nearest'),
    ('Display.0.DownscalingFilter', 'Linear', 'Linear'),
    ('Display.0.NativeResolution', False, False),
    # the wizard's drives: [installer CD, disk, guest tools CD]; a disk
    # that holds Windows already has no installer, so ours start at the disk
    ('Drive.0.ImageName', '<UUID>.qcow2', '<UUID>.qcow2'),
    ('Drive.0.ImageType', 'Disk', 'Disk'),
    ('Drive.0.Interface', 'IDE', 'NVMe'),
    ('Drive.0.InterfaceVersion', 1, 1),
    ('Drive.0.Identifier', ANY_UUID, ANY_UUID),
    ('Drive.0.ReadOnly', False, False),
    # "Install drivers and SPICE tools": removable (no ImageName)
    ('Drive.1.ImageType', 'CD', 'CD'),
    ('Drive.1.Interface', 'IDE', 'USB'),
    ('Drive.1.InterfaceVersion', 1, 1),
    ('Drive.1.Identifier', ANY_UUID, ANY_UUID),
    ('Drive.1.ReadOnly', True, True),
    ('Network.0.Mode', 'Shared', 'Shared'),
    ('Network.0.Hardware', 'e1000', 'virtio-net-pci'),
    ('Network.0.MacAddress', ANY_MAC, ANY_MAC),
    ('Network.0.IsolateFromHost', False, False),
    ('Network.0.PortForward', [], []),
    ('Serial', [], []),
    ('Sound.0.Hardware', 'intel-hda', 'intel-hda'),
]
# Where ours differ, and why (the man page says the same):
OURS = {
    # 0 is "as the host" for a virtualized guest but one core for an
    # emulated x86_64 one (emulatedCpuCount); --cpus, default 4
    'System.CPUCount': (4, 4),
    # --memory, default 8G: Windows 11 wants 4 GiB and runs better with more
    'System.MemorySize': (8192, 8192),
    # the disk's name is ours to choose; UTM keeps any name in Data/
    'Drive.0.ImageName': ('DISK.qcow2', 'DISK.qcow2'),
}
def flat(v, prefix=''):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from flat(x, prefix + k + '.')
    elif isinstance(v, list) and v:
        for i, x in enumerate(v):
            yield from flat(x, prefix + str(i) + '.')
    else:
        yield prefix[:-1], v
got = dict(flat(d))
bad = []
for key, wx, wa in WIZARD:
    want = OURS.get(key, (wx, wa))[0 if x86 else 1]
    if key not in got:
        bad.append('%s missing' % key)
        continue
    v = got.pop(key)
    if want is ANY_UUID:
        ok = isinstance(v, str) and UUID.match(v)
    elif want is ANY_MAC:
        ok = isinstance(v, str) and MAC.match(v)
    elif want is ANY_NAME:
        ok = isinstance(v, str) and v
    else:
        ok = v == want and type(v) == type(want)
    if not ok:
        bad.append('%s = %r, want %r' % (key, v, want))
bad += ['%s = %r is not in the table' % kv for kv in got.items()]
ids = [d['Information']['UUID'], d['Drive'][0]['Identifier'], d['Drive'][1]['Identifier']]
if len(set(ids)) != 3:
    bad.append('UUIDs not distinct: %r' % ids)
data = sorted(os.listdir(os.path.join(bundle, 'Data')))
if data != ['DISK.qcow2']:
    bad.append('Data/ holds %r; UTM deletes what it does not know' % data)
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
}
