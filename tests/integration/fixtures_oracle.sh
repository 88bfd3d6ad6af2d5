#!/bin/bash
# Break the circle of our fixture writer and reader with independent readers:
# testdata/check-fixtures.sh maps every fixture page back with vmssread.py
# (a separate Python reader) and runs Debian's crash, whose own .vmss and
# debug.guest readers must see the same tasks and stacks as crash on QEMU's
# ELF of the same guest (small shape: all vCPUs idle in kernel mode).
. "$(dirname "$0")/lib/common.sh"
need_deps
exec "$ROOT/testdata/check-fixtures.sh" small
