#!/usr/bin/python3
# bcdcompare.py OURS SAMPLE: compares a store we built for SAMPLE's disk
# layout (same ESP, Windows partition and disk GUIDs) with SAMPLE, a store
# Windows wrote, object by object and element by element: object types,
# element sets, registry value types and lengths, device bytes, paths.
# Differences are allowed only where listed in EXPLAINED; anything else is
# printed and makes the exit status 1.
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

def main(ours_path, sample_path):
    ours, sample = load(ours_path), load(sample_path)
    our_roles, sample_roles = roles(ours), roles(sample)
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
                if (role, code) not in EXPLAINED:
                    problems.append('%s %s: in the sample only' % (role, code))
                continue
            if code not in sels:
                problems.append('%s %s: in our store only' % (role, code))
                continue
            compared += 1
            (stype, sdata), (otype, odata) = sels[code], oels[code]
            fmt = (int(code, 16) >> 24) & 0xf
            if stype != otype:
                problems.append('%s %s: registry type %d, sample %d' % (role, code, otype, stype))
            elif fmt in (1, 5, 6, 7) and len(sdata) != len(odata):
                problems.append('%s %s: %d bytes, sample %d' % (role, code, len(odata), len(sdata)))
            elif code in VALUE_FREE:
                pass
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
    sys.exit(main(sys.argv[1], sys.argv[2]))
