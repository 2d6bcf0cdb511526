#!/usr/bin/python3
# bcdcompare.py OURS SAMPLE [bios|uefi-mbr]: compares a store we built for
# SAMPLE's disk layout (same ESP, Windows partition and disk GUIDs) with
# SAMPLE, a store Windows wrote, object by object and element by element:
# object types, element sets, registry value types and lengths, device
# bytes, paths.  Differences are allowed only where listed in EXPLAINED;
# anything else is printed and makes the exit status 1.
#
# bios: SAMPLE is windeploy-linux_BCD, a BIOS store of an MBR disk, and
# OURS the \Boot\BCD we build for its layout (system and Windows partition
# both at its offset and signature); uefi-mbr: OURS is the UEFI store of
# such a disk, compared with the same sample.
import sys, struct, hivex

BOOTMGR = '{9dea862c-5cdd-4e70-acc1-f32b344d4795}'
WELL_KNOWN = {
    BOOTMGR: 'bootmgr',
    '{b2721d73-1db4-4c62-bf78-c548a880142d}': 'memdiag',
    '{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}': 'globalsettings',
    '{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}': 'bootloadersettings',
    '{1afa9c49-16ab-4a5c-901b-212802da9460}': 'resumeloadersettings',
    '{4636856e-540f-4170-a130-a84776f4c654}': 'dbgsettings',
    '{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}': 'emssettings',
    '{5189b25c-5558-4bf2-bca4-289b11bd29e2}': 'badmemory',
    '{7ff607e0-4395-11db-b0de-0800200c9a66}': 'hypervisorsettings',
}
# (object, element) -> why the sample may have it and we not.
EXPLAINED = {
    ('loader', '14000008'): 'recoverysequence: WinRE, registered by reagentc at OOBE; WTG has none',
    ('loader', '15000066'): 'displaymessageoverride Recovery: part of the WinRE registration',
    ('resume', '14000008'): 'recoverysequence: WinRE',
    ('resume', '16000009'): 'recoveryenabled on resume: part of the WinRE registration',
}
# Elements whose values legitimately differ (but not their types).
VALUE_FREE = {'12000004': 'descriptions are free text',
              '16000009': 'recoveryenabled: the sample enables WinRE, a WTG disk has none'}

# What the BIOS sample, an older Windows 10 store for a one-partition disk,
# has otherwise than bcdboot's stores (Windows2Go_BCD) and ours.
OLDER = 'the sample is an older Windows 10 store; bcdboot of Windows 11 writes it (Windows2Go_BCD has it)'
EXPLAINED_MBR = {
    ('loader', '16000009'): 'recoveryenabled no: a WTG disk has no WinRE (the sample leaves it unset)',
    ('loader', '16000060'): 'isolatedcontext: ' + OLDER,
    ('resume', '16000060'): 'isolatedcontext: ' + OLDER,
    ('resume', '21000001'): 'filedevice: ' + OLDER,
    ('resume', '21000026'): 'the resume device element: ' + OLDER,
    ('resume', '26000006'): 'debugoptionenabled: ' + OLDER,
}
# The UEFI store on an MBR disk starts .efi applications under \EFI, and the
# UEFI boot manager names its own path (as in Windows2Go_BCD).
UEFI_PATHS = {
    'bootmgr': '\\efi\\microsoft\\boot\\bootmgfw.efi',
    'loader': '\\windows\\system32\\winload.efi',
    'resume': '\\windows\\system32\\winresume.efi',
    'memdiag': '\\efi\\microsoft\\boot\\memtest.efi',
}

def load(path):
    h = hivex.Hivex(path)
    objs = {}
    for o in h.node_children(h.node_get_child(h.root(), 'Objects')):
        name = h.node_name(o).lower()
        d = h.node_get_child(o, 'Description')
        t = struct.unpack('<I', h.value_value(h.node_get_value(d, 'Type'))[1])[0]
        els = {}
        e_node = h.node_get_child(o, 'Elements')
        for e in (h.node_children(e_node) if e_node else []):
            v = h.node_get_value(e, 'Element')
            els[h.node_name(e).lower()] = h.value_value(v)
        objs[name] = (t, els)
    return objs

def text(data):
    return data.decode('utf-16le').rstrip('\0').split('\0')

def roles(objs):
    r = {WELL_KNOWN[g]: g for g in objs if g in WELL_KNOWN}
    bm = objs[BOOTMGR][1]
    r['loader'] = text(bm['23000003'][1])[0].lower()
    r['resume'] = text(bm['23000006'][1])[0].lower()
    return r

def device_type(data):
    return struct.unpack_from('<I', data, 0x10)[0] if len(data) >= 0x14 else None

def main(ours_path, sample_path, mode=None):
    ours, sample = load(ours_path), load(sample_path)
    our_roles, sample_roles = roles(ours), roles(sample)
    explained = dict(EXPLAINED)
    if mode in ('bios', 'uefi-mbr'):
        explained.update(EXPLAINED_MBR)
    if mode == 'uefi-mbr':
        explained[('bootmgr', '12000002')] = 'the UEFI boot manager names its path; the BIOS one is \\bootmgr'
    # the sample's "boot" devices (type 5: the partition BOOTMGR came from,
    # Windows on it too) must be, in ours, the partition device the sample
    # itself gives its resume object: the same offset and signature
    value_free = dict(VALUE_FREE)
    partition_device = None
    if mode:
        value_free['12000005'] = 'locale: the sample mixes cs-cz and en-us; bcdboot gives every object one, the image\'s or /l\'s'
        partition_device = sample[sample_roles['resume']][1]['11000001'][1]
    # object references compare by role, not by (random) GUID
    our_name = {g: r for r, g in our_roles.items()}
    sample_name = {g: r for r, g in sample_roles.items()}
    problems, compared = [], 0
    for role, sg in sorted(sample_roles.items()):
        if role not in our_roles:
            problems.append('%s: missing from our store' % role)
            continue
        st, sels = sample[sg]
        ot, oels = ours[our_roles[role]]
        if st != ot:
            problems.append('%s: type 0x%08x, sample 0x%08x' % (role, ot, st))
        for code in sorted(set(sels) | set(oels)):
            if code not in oels:
                if (role, code) not in explained:
                    problems.append('%s %s: in the sample only' % (role, code))
                continue
            if code not in sels:
                if mode == 'uefi-mbr' and code == '12000002' and role == 'bootmgr' and \
                        text(oels[code][1])[0].lower() == UEFI_PATHS[role]:
                    continue
                if (role, code) not in explained:
                    problems.append('%s %s: in our store only' % (role, code))
                continue
            compared += 1
            (stype, sdata), (otype, odata) = sels[code], oels[code]
            fmt = (int(code, 16) >> 24) & 0xf
            if stype != otype:
                problems.append('%s %s: registry type %d, sample %d' % (role, code, otype, stype))
            elif fmt in (1, 5, 6, 7) and len(sdata) != len(odata):
                problems.append('%s %s: %d bytes, sample %d' % (role, code, len(odata), len(sdata)))
            elif code in value_free:
                pass
            elif fmt == 1 and partition_device and device_type(sdata) == 5:
                if odata != partition_device:
                    problems.append('%s %s: not the partition device of the sample\'s disk' % (role, code))
            elif mode == 'uefi-mbr' and code == '12000002' and role in UEFI_PATHS:
                if text(odata)[0].lower() != UEFI_PATHS[role]:
                    problems.append('%s %s: %r, not the UEFI path %r' % (role, code, text(odata), UEFI_PATHS[role]))
            elif fmt == 1 and sdata != odata:
                problems.append('%s %s: device bytes differ' % (role, code))
            elif fmt in (3, 4):
                mine = [our_name.get(g.lower(), g.lower()) for g in text(odata)]
                theirs = [sample_name.get(g.lower(), g.lower()) for g in text(sdata)]
                if mine != theirs:
                    problems.append('%s %s: refers to %s, sample %s' % (role, code, mine, theirs))
            elif fmt == 2 and [s.lower() for s in text(odata)] != [s.lower() for s in text(sdata)]:
                problems.append('%s %s: %r, sample %r' % (role, code, text(odata), text(sdata)))
            elif fmt in (5, 6, 7) and sdata != odata:
                problems.append('%s %s: %s, sample %s' % (role, code, odata.hex(), sdata.hex()))
    for p in problems:
        print('difference: ' + p)
    print('compared %d elements of %d objects; %d unexplained differences'
          % (compared, len(sample_roles), len(problems)))
    return 1 if problems or compared < 40 else 0

if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
