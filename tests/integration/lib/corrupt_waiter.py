#!/usr/bin/env python3
"""Break the wait-list link of one task's kernel waiter record in a QEMU ELF
dump, in place (for kernel_verdicts.sh's negative case):
  corrupt_waiter.py DUMP REPORT.json PID
REPORT is coresummary --json of the intact dump: its locks.waits[] gives the
waiter record's address (on the task's vmalloc'd stack).  The address is
translated through the guest's page tables by guest_memcheck.Dump (an oracle
independent of corekit); the record's list.next (its first word in 6.1/6.12's
struct mutex_waiter) is pointed at the record itself, so the ring no longer
closes through the mutex."""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from guest_memcheck import Dump  # noqa: E402

dump, report, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
w = [w for w in json.load(open(report))["locks"]["waits"] if w["tid"] == pid]
if not w or not w[0]["waiter"]:
    sys.exit("pid %d has no waiter record in %s" % (pid, report))
va = int(w[0]["waiter"], 16)
d = Dump(dump)
pa = d.v2p(va)
for base, size, off in d.loads:
    if base <= pa and pa + 8 <= base + size:
        with open(dump, "r+b") as f:
            f.seek(off + pa - base)
            f.write(struct.pack("<Q", va))
        break
else:
    sys.exit("PA %#x not in the dump" % pa)
