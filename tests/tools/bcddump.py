#!/usr/bin/python3
# Copied from the project reference tools (shared/tools/bcddump.py): a BCD decoder on python3-hivex.
# Decode a BCD hive: objects, element types, registry value types, device blobs.
import sys, struct, uuid, hivex
T = {0:'NONE',1:'SZ',2:'EXPAND_SZ',3:'BINARY',4:'DWORD',7:'MULTI_SZ',11:'QWORD'}
FMT = {1:'device',2:'string',3:'object',4:'objlist',5:'integer',6:'boolean',7:'intlist'}
def g(b): return '{%s}' % uuid.UUID(bytes_le=bytes(b))
def hexs(b): return ' '.join('%02x'%x for x in b)
def dev(b, ind='    ', top=True):
    out=[]
    if top:
        out.append(ind+'AdditionalOptions/AssociatedEntry GUID @0x00: %s' % g(b[0:16]))
        b=b[16:]; base=0x10
    else: base=0
    dtype,flags,size,pad = struct.unpack_from('<IIII', b, 0)
    out.append(ind+'@0x%02x DeviceType=%d Flags=0x%x Size=0x%x(%d) Pad=%d' % (base,dtype,flags,size,size,pad))
    u=b[16:size]
    ub=base+16
    def blockio(x, off, ind):
        r=[]
        bt=struct.unpack_from('<I',x,0)[0]
        r.append(ind+'@0x%02x BlockIoType=%d' % (off,bt))
        if bt==0:
            ps=struct.unpack_from('<I',x,4)[0]
            r.append(ind+'@0x%02x PartitionStyle=%d (%s)' % (off+4,ps,{0:'GPT',1:'MBR',2:'RAW'}.get(ps)))
            if ps==0: r.append(ind+'@0x%02x DiskGUID=%s' % (off+8,g(x[8:24])))
            elif ps==1: r.append(ind+'@0x%02x MBR DiskSignature=0x%08x' % (off+8,struct.unpack_from('<I',x,8)[0]))
            else: r.append(ind+'@0x%02x DiskNumber=%d'%(off+8,struct.unpack_from('<I',x,8)[0]))
            r.append(ind+'tail bytes @0x%02x: %s' % (off+24, hexs(x[24:40])))
        elif bt==3:
            base_,sz,io = struct.unpack_from('<QQI',x,4)
            r.append(ind+'@0x%02x RamDisk ImageBase=0x%x ImageSize=0x%x ImageOffset=0x%x' % (off+4,base_,sz,io))
            fp=x[24:]
            r+=filepath(fp, off+24, ind)
        elif bt==5 or bt==6:
            r.append(ind+'raw: '+hexs(x[4:]))
            r+=filepath(x[4:], off+4, ind)
        else:
            r.append(ind+'raw: '+hexs(x[4:]))
        return r
    def filepath(x, off, ind):
        r=[]
        ver,ln,typ=struct.unpack_from('<III',x,0)
        r.append(ind+'@0x%02x FILE_PATH Version=%d Length=0x%x Type=%d' % (off,ver,ln,typ))
        if typ==5:
            sub=x[12:]
            r+=['  '+l for l in dev(sub, ind, top=False)]
            dsz=struct.unpack_from('<I',sub,8)[0]
            path=sub[dsz:ln-12]
            r.append(ind+'  path @0x%02x: %r' % (off+12+dsz, bytes(path).decode('utf-16le')))
        return r
    if dtype==6 or dtype==2:
        if u[0:16]!=bytes(16) and any(u[8:16]):
            out.append(ind+'@0x%02x PartitionGUID=%s' % (ub,g(u[0:16])))
        else:
            out.append(ind+'@0x%02x PartitionOffset/GUID raw=%s (as offset: 0x%x)' % (ub,hexs(u[0:16]),struct.unpack_from('<Q',u,0)[0]))
        out+=blockio(u[16:], ub+16, ind)
    elif dtype==0:
        out+=blockio(u, ub, ind)
    elif dtype==8:
        lt,et,po=struct.unpack_from('<III',u,0)
        out.append(ind+'@0x%02x LocateType=%d ElementType=0x%08x ParentOffset=0x%x' % (ub,lt,et,po))
        out.append(ind+'path/rest @0x%02x: %s' % (ub+12, hexs(u[12:])))
    elif dtype==5:
        out.append(ind+'(boot device) rest: '+hexs(u))
    else:
        out.append(ind+'rest: '+hexs(u))
    if top and len(b)>size:
        out.append(ind+'trailing after Size: '+hexs(b[size:]))
    return out
def main(fn, full):
    h=hivex.Hivex(fn)
    r=h.root()
    for k in h.node_children(r):
        nm=h.node_name(k)
        if nm=='Description':
            for v in h.node_values(k):
                t,data=h.value_value(v)
                print('Description\\%s type=%s %s' % (h.value_key(v), T.get(t,t), hexs(data) if t!=1 else data.decode('utf-16le')))
    objs=h.node_get_child(r,'Objects')
    for o in h.node_children(objs):
        on=h.node_name(o)
        d=h.node_get_child(o,'Description')
        desc=''
        for v in h.node_values(d):
            t,data=h.value_value(v)
            if h.value_key(v)=='Type': desc+=' Type=0x%08x(%s)'%(struct.unpack('<I',data)[0],T[t])
            else: desc+=' %s(%s,%d bytes)'%(h.value_key(v),T.get(t,t),len(data))
        print('\nObject %s%s' % (on,desc))
        els=h.node_get_child(o,'Elements')
        if not els: continue
        for e in h.node_children(els):
            en=h.node_name(e)
            et=int(en,16)
            vs=h.node_values(e)
            for v in vs:
                t,data=h.value_value(v)
                fmt=(et>>24)&0xf
                s='  %s [%s] %s len=%d' % (en, FMT.get(fmt,fmt), T.get(t,t), len(data))
                if t in (1,7): s+=' %r' % data.decode('utf-16le')
                elif fmt in (5,6,7): s+=' '+hexs(data)
                print(s)
                if fmt==1 and t==3:
                    if full: print('    raw: '+hexs(data))
                    for l in dev(data): print(l)
if __name__=='__main__':
    main(sys.argv[1], len(sys.argv)>2)
