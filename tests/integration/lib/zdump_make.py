#!/usr/bin/env python3
"""Build zdump-like files for tests/integration/zdump.sh.

No public zdump sample or specification exists, so these are CONSTRUCTED from
the fact sheet's documented facts only (shared/reference/esxi-zdump-and-logs.md
1.1 names, 1.4 "several named files, gzip/deflate compressed, the vmkernel log
possibly readable as text", 1.5 the crypto envelope at offset 4096 with its
"DataTransformEnvelope" magic and u32 version at +508, 6 "ELF cores are
standard ET_CORE"), filled with real data: lines of the public log samples
(testdata/log-samples, their "# " annotation lines left out) and real process
cores (testdata/proc/mkcores.sh).  Binary filler is random bytes (fixed seed).

Usage: zdump_make.py OUTDIR SAMPLES_DIR CORES_DIR [VMX_CORE]
Writes the files and OUTDIR/layout.json: where each piece was put (file
offsets, stream sizes as zlib/gzip produced them, offsets of log lines), the
facts the checks compare coresummary's report with.
"""
import gzip
import json
import os
import random
import struct
import sys
import zlib

out, samples, cores = sys.argv[1:4]
vmx_core = sys.argv[4] if len(sys.argv) > 4 else None
rnd = random.Random(20240603)


def junk(n):
    return bytes(rnd.getrandbits(8) for _ in range(n))


def sample(name):
    """A sample's log lines (annotations dropped), and how many leading lines were dropped."""
    lines = open(os.path.join(samples, name), 'rb').read().splitlines(keepends=True)
    keep = [l for l in lines if not l.startswith(b'# ')]
    dropped = next((i for i, l in enumerate(lines) if not l.startswith(b'# ')), len(lines))
    return b''.join(keep), dropped


def line_offsets(text):
    offs, at = [], 0
    for l in text.splitlines(keepends=True):
        offs.append(at)
        at += len(l)
    return offs


layout = {}


def put_sample(buf, name):
    """The sample's text at the end of buf: where it starts, and its lines' offsets (by sample line number)."""
    text, dropped = sample(name)
    at = len(buf)
    buf += text
    offs = line_offsets(text)
    return {'sample': name, 'at': at, 'dropped': dropped, 'len': len(text),
            'line_off': {str(i + 1 + dropped): o for i, o in enumerate(offs)}}


def stream(data, kind):
    if kind == 'gzip':
        return gzip.compress(data, mtime=0)
    return zlib.compress(data)


# 1. A kernel zdump: its vmkernel log as plain text (an ESXi 7 PSOD, an ESX 4 @BlueScreen block
#    with its "Coredump to disk."), and a guest's kernel log and a vmware.log in a gzip and a
#    zlib stream.
buf = bytearray(b'\0' * 4096) + junk(3000) + b'\0'
plain = [put_sample(buf, 'vmk-05-psod-pf14-backtrace-for-current-cpu-esxi701.log')]
buf += b'\0' + junk(5000) + b'\0'
plain.append(put_sample(buf, 'vmk-02-psod-assert-esx4-coredump-to-disk.log'))
buf += b'\0' + junk(5000)
streams = []
for name, kind in (('lnx-01-hung-task-jbd2-vmware-scsi-abort.log', 'gzip'),
                   ('vmx-12-old-format-vcpu-assert-msgpost-ws6.log', 'zlib')):
    text, dropped = sample(name)
    s = stream(text, kind)
    streams.append({'sample': name, 'format': kind, 'offset': len(buf), 'compressed_size': len(s),
                    'inflated_size': len(text), 'dropped': dropped,
                    'line_off': {str(i + 1 + dropped): o for i, o in enumerate(line_offsets(text))}})
    buf += s + junk(1000)
open(os.path.join(out, 'vmkernel-zdump.1'), 'wb').write(buf)
layout['vmkernel-zdump.1'] = {'plain': plain, 'streams': streams, 'size': len(buf)}

# 2. User-world zdumps: a real core as it is, and a real core zlib-compressed.
core = open(os.path.join(cores, 'crash_null.core'), 'rb').read()
buf = junk(5000) + core + junk(100)
open(os.path.join(out, 'hostd-worker-zdump.000'), 'wb').write(buf)
layout['hostd-worker-zdump.000'] = {'core_offset': 5000, 'core_size': len(core), 'size': len(buf)}
core = open(os.path.join(cores, 'abba.core'), 'rb').read()
z = zlib.compress(core)
buf = junk(7000) + z + junk(100)
open(os.path.join(out, 'vpxa-zdump.001'), 'wb').write(buf)
layout['vpxa-zdump.001'] = {'stream_offset': 7000, 'compressed_size': len(z), 'core_size': len(core)}

# 3. A VMX zdump: the core of a program named vmx, gzip-compressed after some text.
if vmx_core:
    core = open(vmx_core, 'rb').read()
    g = stream(core, 'gzip')
    buf = junk(4096) + g
    open(os.path.join(out, 'vmx-zdump.000'), 'wb').write(buf)
    layout['vmx-zdump.000'] = {'stream_offset': 4096, 'core_size': len(core)}

# 4. An encrypted zdump: a plain 4096-byte header, then the envelope (magic, size, version 2
#    at 504/508) and what stands for ciphertext, a zlib stream among it that must not be read.
hdr = b'VMKDUMP-CONSTRUCTED-HEADER ' * 152
hdr = hdr[:4096]
env = bytearray(4096)
env[0:21] = b'DataTransformEnvelope'
env[504:512] = struct.pack('<II', 8192, 2)
buf = hdr + bytes(env) + junk(4096) + zlib.compress(sample('lnx-01-hung-task-jbd2-vmware-scsi-abort.log')[0])
open(os.path.join(out, 'vmkernel-zdump.2'), 'wb').write(buf)
layout['vmkernel-zdump.2'] = {'header_text': 4096}

# 5. Damaged ones: random bytes; a core cut short; a gzip stream cut short; nothing at all.
open(os.path.join(out, 'garbage-zdump.000'), 'wb').write(junk(1 << 20))
core = open(os.path.join(cores, 'crash_null.core'), 'rb').read()
open(os.path.join(out, 'cut-zdump.000'), 'wb').write(junk(100) + core[:300000])
layout['cut-zdump.000'] = {'core_offset': 100, 'core_size': 300000, 'elf_size': len(core)}
text, dropped = sample('lnx-01-hung-task-jbd2-vmware-scsi-abort.log')
g = stream(text, 'gzip')
open(os.path.join(out, 'cutgz-zdump.000'), 'wb').write(junk(100) + g[:len(g) * 2 // 3])
layout['cutgz-zdump.000'] = {'stream_offset': 100}
open(os.path.join(out, 'empty-zdump.000'), 'wb').write(b'')

json.dump(layout, open(os.path.join(out, 'layout.json'), 'w'), indent=1)
