#!/usr/bin/env python3
"""Helpers for tests/integration/coresummary.sh.

  coresummary_check.py expect CASE REPORT.json PROGRAM.out
      check the analysis of one test core against what the program printed
  coresummary_check.py compare REPORT.json EXE CORE
      compare every thread's function list with `eu-stack -i` and gdb
      `thread apply all bt` on the same core

Each prints "ok NAME" / "FAIL NAME: why" lines (tests/run.sh protocol).
"""
import json
import re
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from eustack import eu_stack  # noqa: E402

CLONE_SFX = re.compile(r'\.(constprop|isra|part|cold|lto_priv)(\.\d+)*$')


def norm(name):
    """Strip @VERSION, leading underscores, __GI_ prefixes and GCC clone suffixes."""
    if name is None:
        return None
    name = name.split('@')[0].lstrip('_')
    if name.startswith('GI_'):
        name = name[3:].lstrip('_')
    return CLONE_SFX.sub('', name)


class Aliases:
    """Names of one address count as the same function (ELF symbol tables)."""

    def __init__(self, files):
        self.parent = {}
        for f in files:
            if not f:
                continue
            try:
                out = subprocess.run(['readelf', '-Ws', '--wide', f], capture_output=True,
                                     text=True, timeout=60).stdout
            except (OSError, subprocess.TimeoutExpired):
                continue
            by_addr = {}
            for line in out.splitlines():
                p = line.split()
                if len(p) < 8 or p[3] not in ('FUNC', 'IFUNC') or p[1] == '0000000000000000':
                    continue
                by_addr.setdefault(p[1], set()).add(norm(p[7]))
            for names in by_addr.values():
                names = sorted(n for n in names if n)
                for n in names[1:]:
                    self.union(names[0], n)

    def find(self, x):
        while self.parent.get(x, x) != x:
            x = self.parent[x]
        return x

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def canon(self, name):
        return self.find(norm(name))


def ours(report):
    """tid -> [function names, inline sub-frames first], '??' dropped."""
    res = {}
    for t in report['threads']:
        names = []
        for f in t['frames']:
            for i in f['inlines']:
                if i['function']:
                    names.append(i['function'])
            if f['function']:
                names.append(f['function'])
        res[t['tid']] = names
    return res


def gdb_bt(exe, core):
    out = subprocess.run(['gdb', '-batch', '-nx', '-ex', 'set width 0', '-ex', 'set pagination off', '-ex', 'set backtrace past-main on',
                          '-ex', 'thread apply all bt', exe, core],
                         capture_output=True, text=True, timeout=900).stdout
    res, cur = {}, None
    for line in out.splitlines():
        m = re.match(r'Thread \d+ \(.*LWP (\d+)\)', line)
        if m:
            cur = res.setdefault(int(m.group(1)), [])
            continue
        m = re.match(r'#\d+\s+(?:0x[0-9a-f]+ in )?(\S+) \(', line)
        if m and cur is not None and m.group(1) != '??':
            cur.append(m.group(1))
    return res


def is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def compare(report_path, exe, core):
    report = json.load(open(report_path))
    files = [exe]
    for m in report['modules']:
        files += [m.get('path'), m.get('debug_file')]
    al = Aliases(files)
    mine = {tid: [al.canon(n) for n in names] for tid, names in ours(report).items()}
    ok = True
    eu = {tid: [al.canon(n) for n in names] for tid, names in eu_stack(core, exe, drop_unknown=True).items()}
    bad = [t for t in mine if mine[t] != eu.get(t)]
    if set(eu) != set(mine):
        print(f"FAIL eu-stack threads: eu-stack has {len(eu)} threads, coresummary {len(mine)}")
        ok = False
    elif bad:
        t = bad[0]
        print(f"FAIL eu-stack functions: {len(bad)} of {len(mine)} threads differ; tid {t}: "
              f"coresummary {mine[t]} eu-stack {eu.get(t)}")
        ok = False
    else:
        print(f"ok eu-stack functions ({len(mine)} threads agree)")
    gd = {tid: [al.canon(n) for n in names] for tid, names in gdb_bt(exe, core).items()}
    # gdb additionally reconstructs tail-call frames (DW_TAG_call_site) that
    # CFI unwinders cannot see; those are the only extra names allowed.
    bad, extra = [], 0
    for t in mine:
        g = gd.get(t)
        if g is None or not is_subsequence(mine[t], g):
            bad.append(t)
        else:
            extra += len(g) - len(mine[t])
    if set(gd) != set(mine):
        print(f"FAIL gdb threads: gdb has {len(gd)} threads, coresummary {len(mine)}")
        ok = False
    elif bad:
        t = bad[0]
        print(f"FAIL gdb functions: {len(bad)} of {len(mine)} threads differ; tid {t}: "
              f"coresummary {mine[t]} gdb {gd.get(t)}")
        ok = False
    elif extra > 2 * len(mine):
        print(f"FAIL gdb functions: gdb shows {extra} frames more than coresummary")
        ok = False
    else:
        print(f"ok gdb functions ({len(mine)} threads agree; {extra} gdb tail-call frames)")
    return ok


def parse_out(path):
    """Lines 'KEY tid=N holds=0x.. wants=0x..' printed by the test programs."""
    rows = []
    for line in open(path, errors='replace'):
        p = line.split()
        if not p or '=' not in line:
            continue
        d = {'who': p[0]}
        for kv in p[1:]:
            if '=' in kv:
                k, v = kv.split('=', 1)
                d[k] = int(v, 0) if re.match(r'^(0x[0-9a-f]+|\d+)$', v) else v
        rows.append(d)
    return rows


def check(name, cond, why):
    cond = bool(cond)
    print(f"ok {name}" if cond else f"FAIL {name}: {why}")
    return cond


def cycle_tuples(rep):
    res = []
    for c in rep['locks']['cycles']:
        tids = c['tids']
        owners = [w['owner_tid'] for t in tids for w in rep['locks']['waits'] if w['tid'] == t]
        res.append(sorted(zip(tids, [int(o, 16) for o in c['objects']], owners)))
    return res


def expect(case, report_path, out_path):
    rep = json.load(open(report_path))
    rows = parse_out(out_path)
    by = {r['who']: r for r in rows}
    waits = {w['tid']: w for w in rep['locks']['waits']}
    findings = [f['kind'] for f in rep['findings']]
    n = case
    ok = True
    ok &= check(f"{n} schema", rep.get('schema_version') == 2 and rep.get('schema') == 'corekit.coresummary',
                'schema/version missing')
    if case in ('abba', 'cycle3', 'piabba'):
        holders = [r for r in rows if 'holds' in r and 'wants' in r]
        tid_of_lock = {r['holds']: r['tid'] for r in holders}
        want = sorted((r['tid'], r['wants'], tid_of_lock[r['wants']]) for r in holders)
        ok &= check(f"{n} exact cycle", cycle_tuples(rep) == [want],
                    f"cycles {cycle_tuples(rep)} expected {want}")
        ok &= check(f"{n} deadlock finding", 'deadlock' in findings, f"findings {findings}")
        ok &= check(f"{n} signature", rep['signature'] and rep['signature']['kind'] == 'deadlock'
                    and len(rep['signature']['hash']) == 16, f"signature {rep['signature']}")
        if case == 'abba':
            mw = waits.get(by['main']['tid'])
            ok &= check(f"{n} main joins A", mw and mw['kind'] == 'join' and mw['owner_tid'] == by['A']['tid']
                        and not mw['in_cycle'], f"main wait {mw}")
        for w in rep['locks']['waits']:
            if w['in_cycle']:
                ok &= check(f"{n} wait frame tid {w['tid']}", w['frame'] and
                            re.search(r'(lock_pair|take) \(\w+\.c:\d+\)', w['frame']), f"frame {w['frame']}")
        if case == 'piabba':
            ok &= check(f"{n} only the cycle waits", len(rep['locks']['waits']) == 2, f"waits {rep['locks']['waits']}")
    elif case == 'rwlock':
        wtid, rw = by['W']['tid'], by['W']['holds']
        readers = sorted(r['tid'] for r in rows if r['who'] == 'R')
        got = sorted(w['tid'] for w in rep['locks']['waits']
                     if w['kind'] == 'rwlock' and int(w['object'], 16) == rw and w['owner_tid'] == wtid)
        ok &= check(f"{n} readers blocked on writer", got == readers,
                    f"rwlock waits {rep['locks']['waits']} expected readers {readers} on {rw:#x} held by {wtid}")
        ok &= check(f"{n} no deadlock", not rep['locks']['cycles'] and 'deadlock' not in findings,
                    f"cycles {rep['locks']['cycles']}")
        ok &= check(f"{n} blocked finding", 'blocked' in findings, f"findings {findings}")
    elif case == 'rwreaders':
        wtid, rw = by['W']['tid'], by['W']['wants']
        ws = rep['locks']['waits']
        ok &= check(f"{n} writer blocked by readers", len(ws) == 1 and ws[0]['tid'] == wtid and
                    ws[0]['kind'] == 'rwlock' and int(ws[0]['object'], 16) == rw and ws[0]['owner_tid'] is None,
                    f"waits {ws}, expected writer {wtid} on {rw:#x}")
        st = [t['state'] for t in rep['threads'] if t['tid'] == wtid][0]
        ok &= check(f"{n} held by readers", st and 'held by readers' in st and 'blocked' in findings, f"state {st}")
        ok &= check(f"{n} no deadlock", not rep['locks']['cycles'], f"cycles {rep['locks']['cycles']}")
    elif case == 'condvar':
        tids = sorted(r['tid'] for r in rows if r['who'] == 'C')
        got = sorted(w['tid'] for w in rep['locks']['waits'] if w['kind'] == 'condvar')
        ok &= check(f"{n} condvar waiters", got == tids, f"condvar waits {got} expected {tids}")
        ok &= check(f"{n} not a deadlock", not rep['locks']['cycles'] and 'deadlock' not in findings,
                    f"findings {findings}")
    elif case == 'joincycle':
        mt, wt, m = by['main']['tid'], by['W']['tid'], by['main']['holds']
        cy = cycle_tuples(rep)
        ok &= check(f"{n} join closes cycle", len(cy) == 1 and len(cy[0]) == 2 and
                    (wt, m, mt) in cy[0] and cy[0][[c[0] for c in cy[0]].index(mt)][2] == wt,
                    f"cycles {cy}")
        kinds = sorted(w['kind'] for w in rep['locks']['waits'] if w['in_cycle'])
        ok &= check(f"{n} join edge", kinds == ['join', 'mutex'], f"kinds {kinds}")
    elif case in ('crash_null', 'crash_null_kernel'):
        c = rep['crash']
        ok &= check(f"{n} crash kind", c and c['kind'] == 'null-deref', f"crash {c and c['kind']}")
        sig = rep['process']['signal']
        ok &= check(f"{n} siginfo", sig and sig['number'] == 11 and sig['code_name'] == 'SEGV_MAPERR'
                    and sig['address'] == '0x0000000000000010', f"signal {sig}")
        ok &= check(f"{n} crashing tid", c and c['tid'] == by['main']['tid'], f"crash tid {c and c['tid']}")
        f0 = rep['threads'][c['thread_index']]['frames'][0] if c else None
        ok &= check(f"{n} inline frame", f0 and f0['inlines'] and f0['inlines'][0]['function'] == 'node_value'
                    and f0['function'] == 'sum_list' and f0['trust'] == 'context', f"frame 0 {f0}")
        ok &= check(f"{n} disassembly", c and c['instruction'] and '0x10' in c['instruction']
                    and any(d['is_pc'] for d in c['disassembly']), f"instruction {c and c['instruction']}")
        # physical frames' ELF symbols only: the inlined node_value is not hashed
        ok &= check(f"{n} signature frames", rep['signature'] and rep['signature']['frames'][:2] ==
                    ['sum_list', 'main'], f"signature {rep['signature']}")
    elif case == 'crash_assert':
        c = rep['crash']
        ok &= check(f"{n} crash kind", c and c['kind'] == 'assert', f"crash {c}")
        ok &= check(f"{n} assertion text", c and c['assertion'] and 'answer == 42' in c['assertion'],
                    f"assertion {c and c['assertion']}")
        ok &= check(f"{n} signature skips plumbing", rep['signature'] and
                    rep['signature']['frames'][0] == 'check_config', f"signature {rep['signature']}")
    elif case == 'crash_overflow':
        c = rep['crash']
        ok &= check(f"{n} crash kind", c and c['kind'] == 'stack-overflow', f"crash {c and c['kind']}")
        t = rep['threads'][c['thread_index']] if c else None
        ok &= check(f"{n} frames capped", t and t['incomplete'] and t['frame_count'] == 256 and
                    all(f['function'] == 'descend' for f in t['frames']), f"thread {t and t['frame_count']}")
    elif case == 'nocfi':
        t = rep['threads'][0]
        trust = {f['function']: f['trust'] for f in t['frames']}
        ok &= check(f"{n} frame-pointer trust", all(trust.get(fn) == 'frame-pointer' for fn in
                                                     ('middle', 'outer', 'main')), f"trust {trust}")
        ok &= check(f"{n} context and cfi trust", t['frames'][0]['trust'] == 'context' and
                    trust.get('inner') == 'cfi', f"trust {trust}")
    elif case == 'many':
        nthreads = int(open(out_path).read().split('READY threads=')[1].split()[0])
        ok &= check(f"{n} thread count", rep['thread_count'] == nthreads,
                    f"{rep['thread_count']} threads, program had {nthreads}")
        h = by['H']
        mutex_waiters = [w for w in rep['locks']['waits'] if w['kind'] == 'mutex']
        ok &= check(f"{n} mutex waiters", len(mutex_waiters) == (nthreads - 2 + 2) // 3 and
                    all(w['owner_tid'] == h['tid'] and int(w['object'], 16) == h['holds'] for w in mutex_waiters),
                    f"{len(mutex_waiters)} mutex waiters")
        ok &= check(f"{n} grouped", len(rep['groups']) <= 8, f"{len(rep['groups'])} groups")
        ok &= check(f"{n} trust", all(f['trust'] in ('context', 'cfi', 'frame-pointer')
                                      for t in rep['threads'] for f in t['frames']), 'bad trust value')
    return ok


def corrupt(binp, src, n, tmp):
    """Flip bytes in headers, notes and memory of a real core (fixed seeds):
    coresummary must exit 0 or 2 and never trip a sanitizer."""
    import os
    import random
    import struct
    data = bytearray(open(src, 'rb').read())
    phoff = struct.unpack_from('<Q', data, 32)[0]
    phnum = struct.unpack_from('<H', data, 56)[0]
    notes = []
    for i in range(phnum):
        t, _, off, _, _, fsz, _, _ = struct.unpack_from('<IIQQQQQQ', data, phoff + 56 * i)
        if t == 4:
            notes.append((off, fsz))
    bad = []
    for seed in range(n):
        rnd = random.Random(seed)
        d = bytearray(data)
        for _ in range(rnd.randint(1, 20)):
            x = rnd.random()
            if x < 0.2:
                pos = rnd.randrange(len(d))
            elif x < 0.45:
                pos = rnd.randrange(0, 64 + 56 * phnum)
            else:
                off, fsz = rnd.choice(notes)
                pos = off + rnd.randrange(fsz)
            d[pos] = rnd.randrange(256)
        path = os.path.join(tmp, 'corrupt.core')
        open(path, 'wb').write(d)
        r = subprocess.run([binp, '--json', path], capture_output=True, timeout=120)
        if r.returncode not in (0, 2) or b'Sanitizer' in r.stderr or b'runtime error' in r.stderr:
            bad.append(f"seed {seed}: exit {r.returncode}: {r.stderr[-300:].decode(errors='replace')}")
        elif r.returncode == 2 and len(r.stderr.decode(errors='replace').strip().splitlines()) != 1:
            bad.append(f"seed {seed}: error is not one line: {r.stderr[:300]!r}")
    name = f"corrupt {os.path.basename(src)} x{n}"
    return check(name, not bad, '; '.join(bad[:2]))


if __name__ == '__main__':
    if sys.argv[1] == 'corrupt':
        sys.exit(0 if corrupt(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]) else 1)
    if sys.argv[1] == 'expect':
        sys.exit(0 if expect(sys.argv[2], sys.argv[3], sys.argv[4]) else 1)
    elif sys.argv[1] == 'compare':
        sys.exit(0 if compare(sys.argv[2], sys.argv[3], sys.argv[4]) else 1)
    sys.exit(2)
