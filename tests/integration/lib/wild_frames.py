#!/usr/bin/env python3
"""Frame lists of coresummary against `eu-stack -i`, names against c++filt.

  wild_frames.py frames NAME REPORT.json CORE [EXE]
      every thread's frame list (inline sub-frames first) equal to eu-stack -i's,
      frame for frame; names compared by their unqualified base name (eu-stack
      names the innermost frame by DW_AT_name and others by linkage names, we
      always prefer the demangled linkage name)
  wild_frames.py cxxfilt NAME REPORT.json
      every frame named by its mangled ELF symbol (no DWARF: no source file) is
      named exactly as c++filt prints that symbol
Prints "ok NAME ..." / "FAIL NAME: why" (tests/run.sh protocol).
"""
import json
import re
import subprocess
import sys

from eustack import eu_stack

CLONE = re.compile(r'\.(constprop|isra|part|cold|lto_priv)(\.\d+)*$')
OPS = re.compile(r'operator(\(\)|\[\]|<<=|>>=|<=>|->\*|->|<<|>>|<=|>=|[-+*/%^&|~!=<>,]=?|&&|\|\||\+\+|--| new| delete)')


def strip_groups(s, op, cl):
    out, depth = [], 0
    for ch in s:
        if ch == op:
            depth += 1
        elif ch == cl and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return ''.join(out)


def base(name):
    """'corekit::wild::Box<int>::operator*() const' -> 'operator*'; '__invoke_impl<...>' -> 'invoke_impl'."""
    if name is None or name == '??':
        return '??'
    name = name.split('@')[0]
    name = re.sub(r' \[clone [^]]*\]', '', name)
    ops = []

    def keep(m):
        ops.append(m.group(0))
        return f'\x01{len(ops) - 1}\x02'
    name = OPS.sub(keep, name)
    prev = None
    while prev != name:
        prev = name
        name = strip_groups(strip_groups(name, '(', ')'), '<', '>')
        name = strip_groups(name, '{', '}')
    name = re.sub(r'\s*(const|volatile|&&|&)\s*$', '', name).strip()
    name = name.split('::')[-1]
    name = re.sub('\x01(\\d+)\x02', lambda m: ops[int(m.group(1))], name)
    name = name.lstrip('_')
    if name.startswith('GI_'):
        name = name[3:].lstrip('_')
    return CLONE.sub('', name)


def ours(report):
    res = {}
    for t in report['threads']:
        names = []
        for f in t['frames']:
            names += [i['function'] or '??' for i in f['inlines']]
            names.append(f['function'] or '??')
        res[t['tid']] = names
    return res


def frames(name, report_path, core, exe=None):
    rep = json.load(open(report_path))
    mine = {t: [base(n) for n in v] for t, v in ours(rep).items()}
    eu = {t: [base(n) for n in v] for t, v in eu_stack(core, exe).items()}
    if set(mine) != set(eu):
        print(f"FAIL {name} frames: threads differ: coresummary {sorted(mine)[:8]} eu-stack {sorted(eu)[:8]}")
        return False
    bad = [t for t in sorted(mine) if mine[t] != eu[t]]
    if bad:
        t = bad[0]
        print(f"FAIL {name} frames: {len(bad)} of {len(mine)} threads differ; tid {t}: "
              f"coresummary {mine[t]} eu-stack {eu[t]}")
        return False
    n = sum(len(v) for v in mine.values())
    print(f"ok {name}: every thread's frame list equals eu-stack -i ({len(mine)} threads, {n} frames)")
    return True


def cxxfilt(name, report_path):
    rep = json.load(open(report_path))
    # frames without DWARF (no source file) are named by their ELF symbol
    pairs = [(f['symbol'], f['function']) for t in rep['threads'] for f in t['frames']
             if f['symbol'] and f['symbol'].startswith('_Z') and not f['file']]
    if not pairs:
        print(f"FAIL {name} c++filt: no mangled symbol in any frame")
        return False
    syms = [s.split('@')[0] for s, _ in pairs]
    out = subprocess.run(['c++filt'], input='\n'.join(syms) + '\n', capture_output=True, text=True).stdout.splitlines()
    bad = [(s, f, o) for (s, f), o in zip(pairs, out) if f != o]
    if bad:
        print(f"FAIL {name} c++filt: {len(bad)} of {len(pairs)} names differ, e.g. {bad[0]}")
        return False
    print(f"ok {name}: {len(pairs)} C++ frame names equal c++filt's")
    return True


if __name__ == '__main__':
    if sys.argv[1] == 'frames':
        sys.exit(0 if frames(*sys.argv[2:]) else 1)
    if sys.argv[1] == 'cxxfilt':
        sys.exit(0 if cxxfilt(*sys.argv[2:]) else 1)
    sys.exit(2)
