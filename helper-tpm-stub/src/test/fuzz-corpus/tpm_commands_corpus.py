#!/usr/bin/env python3
"""Builds TpmInputsFuzzTest's committed corpus of TPM commands from real tpm2-tools 5.4 command streams.

Capture: run tpm2-tools against swtpm with TSS2_LOG=tcti+trace, one log per tool (NNN.log, tools.txt
naming them "NNN tpm2_tool"), e.g. in a scratch directory:
    TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=P TSS2_LOG=tcti+trace tpm2_nvdefine ... 2> 015.log
Then: tpm_commands_corpus.py LOGDIR src/test/resources/org/qemu/helpers/tpmstub/fuzz/TpmInputsFuzzTestInputs

Each input is laid out for Jazzer's FuzzedDataProvider as TpmInputsFuzzTest.commands consumes it: the
command bytes from the front (consumeBytes), the integers and booleans from the back (startup yes, no EK,
then per command: raw, its length, clock 0, locality 0), so the replay runs exactly the captured commands.
"""
import glob, os, re, sys

def cmds(path):
    out=[];cur=None
    for line in open(path,errors='replace'):
        m=re.search(r'Writing (\d+) bytes to socket',line)
        if m:
            if cur is not None: out.append(bytes(cur))
            cur=bytearray(); need=int(m.group(1)); continue
        m=re.match(r'^([0-9a-f]{4}): ([0-9a-f]+)\s',line)
        if m and cur is not None and len(cur)<need:
            cur+=bytes.fromhex(m.group(2)); continue
        if cur is not None and len(cur)>=need:
            out.append(bytes(cur)); cur=None
    if cur is not None: out.append(bytes(cur))
    return [c for c in out if len(c)>=10 and c[:2] in (b'\x80\x01',b'\x80\x02') and int.from_bytes(c[2:6],'big')==len(c)]
logs, out = sys.argv[1], sys.argv[2]
def fdp_commands(commands, startup=True):
    front=b''.join(commands)
    seq=[1 if startup else 0, 0]
    for c in commands:
        L=len(c); assert L<=4200
        seq += [0, L>>8, L&0xff, 0, 0, 0]
    return front+bytes(reversed(seq))
def write(dirname, name, data):
    d=os.path.join(out,dirname); os.makedirs(d,exist_ok=True)
    open(os.path.join(d,name),'wb').write(data)
tools={}
for line in open(os.path.join(logs, 'tools.txt')):
    n,t=line.split(' ',1); tools[n]=t.strip()
total=0
for p in sorted(glob.glob(os.path.join(logs, '[0-9]*.log'))):
    n=os.path.basename(p)[:3]
    cs=[c for c in cmds(p) if int.from_bytes(c[6:10],'big')!=0x144]  # Startup comes from the first boolean
    for k in range(0,len(cs),8):
        chunk=cs[k:k+8]
        if not chunk: continue
        name='tpm2tools-%s-%s%s'%(n,tools[n],'' if k==0 else '-%d'%(k//8))
        data=fdp_commands(chunk); total+=len(data)
        write('commands',name,data)
print('commands bytes',total)

import re as _re
def remap(c):
    # the session handles swtpm handed out in the capture run become the engine's first ones
    return _re.sub(rb'\x02\x00\x00[\x01-\x07]', b'\x02\x00\x00\x00', c)
def stream(n, drop=(0x17a,0x169)):
    return [remap(c) for c in cmds(os.path.join(logs, '%s.log' % n)) if int.from_bytes(c[6:10],'big') not in drop]
scen={
 'scenario-nv-define-write-read': stream('015')+stream('016')+stream('017'),
 'scenario-nv-counter': stream('018')+stream('019'),
 'scenario-nv-extend': stream('020')+stream('021'),
 'scenario-policy-nv': stream('023')+stream('024')+stream('027')+stream('028')+stream('029'),
 'scenario-seal-unseal': stream('007')+stream('008')+stream('012'),
 'scenario-createprimary-create-load': stream('007')+stream('009')+stream('011'),
}
for name,cs in scen.items():
    cs=cs[:8]
    write('commands',name,fdp_commands(cs))
    print(name, ' '.join('%x'%int.from_bytes(c[6:10],'big') for c in cs))
