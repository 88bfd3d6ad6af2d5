#!/bin/bash
# The same checks on the big guest: q35, 4 vCPUs, 3 GiB with RAM above 4 GiB
# (a real hole under 4 GiB), one vCPU in user mode, a 4-task wait-for chain.
exec "$(dirname "$0")/vmss2core_real.sh" big
