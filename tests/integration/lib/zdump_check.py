#!/usr/bin/env python3
"""Check `coresummary --json` on the constructed zdumps of zdump_make.py.

The expectations are where zdump_make.py put each piece (layout.json: file
offsets, zlib/gzip's own sizes, the offsets of the log lines), the NOTE facts
of the embedded log samples (logs_check.EXPECT, written from the samples, not
from our output) and the report of `coresummary --json SAMPLE` on the sample
file itself: the same parsers must find the same events and verdict in it,
and the same signatures.
Usage: zdump_check.py BIN DIR SAMPLES.  Prints "ok NAME" / "FAIL NAME: why".
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import logs_check  # noqa: E402
from logs_check import EXPECT, fail, ok, same  # noqa: E402

binary, d, samples = sys.argv[1:4]
layout = json.load(open(os.path.join(d, 'layout.json')))


def report(path):
    p = subprocess.run([binary, '--json', path], capture_output=True, text=True)
    if p.returncode != 0:
        return None, f"exit {p.returncode}: {p.stderr.strip()[:300]}"
    return json.loads(p.stdout), None


def text_report(path):
    return subprocess.run([binary, path], capture_output=True, text=True).stdout


def expect(name, cond, why):
    if cond:
        ok(name)
    else:
        fail(name, why)


# Fields of an event that say what the log said (not where in which file it was).
FACTS = ('kind', 'time', 'time_utc', 'uptime_s', 'thread', 'pid', 'comm', 'cpu', 'world', 'cartel', 'signal',
         'exit_code', 'duration_s', 'address', 'ip', 'module', 'core_file', 'channel', 'summary', 'problem', 'frames')


def check_sample_events(tag, events, sample, base, line_off, dropped):
    """events: the zdump's events of one origin; base + line_off[line]: where each line is."""
    _, want, _ = EXPECT[sample]
    if len(events) != len(want):
        return fail(tag, f"{len(events)} events, the sample's NOTE facts have {len(want)}")
    for e, w in zip(events, want):
        bad = [f"{k}={e.get(k)!r} (want {v!r})" for k, v in w.items() if k != 'line_no' and not same(e.get(k), v)]
        off = base + line_off[str(w['line_no'])]
        if e['offset'] != off:
            bad.append(f"offset {e['offset']} (want {off}, the line's place)")
        if bad:
            return fail(tag, f"{e['kind']}: " + ", ".join(bad))
    direct, err = report(os.path.join(samples, sample))
    if err:
        return fail(tag, f"the sample itself: {err}")
    de = direct['events']
    bad = [f"{k}: {a.get(k)!r} vs {b.get(k)!r}" for a, b in zip(events, de) for k in FACTS
           if not same(a.get(k), b.get(k))]
    if len(de) != len(events) or bad:
        return fail(tag, f"not the events of coresummary SAMPLE: {len(events)} vs {len(de)}; " + "; ".join(bad[:3]))
    ok(tag)
    return direct


# 1. the kernel zdump
name = 'vmkernel-zdump.1'
path = os.path.join(d, name)
lay = layout[name]
r, err = report(path)
if err:
    fail('kernel_zdump_report', err)
else:
    z = r['zdump']
    expect('kernel_zdump_kind', r['target'] == 'zdump' and z['kind'] == 'kernel' and z['kind_by_name'] == 'kernel'
           and z['kind_by_content'] == 'kernel' and not z['encrypted'] and z['size'] == lay['size'],
           f"target {r['target']}, zdump {dict((k, z[k]) for k in ('kind', 'kind_by_name', 'kind_by_content', 'encrypted', 'size'))}")
    got = [(s['offset'], s['format'], s['compressed_size'], s['inflated_size'], s['end']) for s in z['streams']]
    want = [(s['offset'], s['format'], s['compressed_size'], s['inflated_size'], 'complete') for s in lay['streams']]
    expect('kernel_zdump_streams_as_written', got == want, f"streams {got}, written {want}")
    directs = {}
    for plain in lay['plain']:
        ev = [e for e in r['events'] if e['source'] == f"{path}: file text"
              and plain['at'] <= e['offset'] < plain['at'] + plain['len']]
        directs[plain['sample']] = check_sample_events(f"kernel_zdump_plain_text_{plain['sample'][:6]}_events", ev,
                                                       plain['sample'], plain['at'], plain['line_off'],
                                                       plain['dropped'])
    for s in lay['streams']:
        src = f"{path}: {s['format']} stream at 0x{s['offset']:x}"
        ev = [e for e in r['events'] if e['source'] == src]
        directs[s['sample']] = check_sample_events(f"kernel_zdump_{s['format']}_stream_events", ev, s['sample'], 0,
                                                   s['line_off'], s['dropped'])
    kinds = sorted(f['kind'] for f in r['findings'])
    want = sorted(set(k for s in directs for k in EXPECT[s][2]))
    expect('kernel_zdump_verdict', kinds == want, f"findings {kinds}, the samples' {want}")
    # the same problems, in a zdump or in their own log files: the same facts, and where a finding
    # has one log's events only, the same hash
    mine = {f['kind']: f['signature'] for f in r['findings'] if f['signature']}
    theirs = {}
    for dr in directs.values():
        for f in (dr or {}).get('findings', []):
            if f['signature']:
                theirs.setdefault(f['kind'], []).append(f['signature'])
    bad = [k for k in set(mine) | set(theirs) if k not in mine or k not in theirs or
           sorted(mine[k]['frames']) != sorted(set(x for s in theirs[k] for x in s['frames'])) or
           (len(theirs[k]) == 1 and mine[k]['hash'] != theirs[k][0]['hash'])]
    expect('kernel_zdump_signatures_equal_the_logs', mine and not bad, f"differ: {bad}")
    t = text_report(path)
    expect('kernel_zdump_text', 'zdump:    kernel zdump' in t and '== verdict ==' in t and 'panic: ' in t
           and '== timeline:' in t and 'no public specification' in t, t[:400])

# 2. user-world zdumps with a core: where it was, its size; analysed (threads: zdump.sh with eu-stack)
r, err = report(os.path.join(d, 'hostd-worker-zdump.000'))
lay = layout['hostd-worker-zdump.000']
if err:
    fail('raw_core_zdump', err)
else:
    z = r['zdump']
    c = z['cores']
    expect('raw_core_found_where_written', len(c) == 1 and c[0]['stream'] is None and c[0]['offset'] == lay['core_offset']
           and c[0]['size'] == lay['core_size'] and c[0]['elf_size'] == lay['core_size'] and c[0]['analysed'],
           f"cores {c}")
    expect('raw_core_zdump_kind', z['kind'] == 'userworld' and z['world'] == 'hostd-worker'
           and z['kind_by_content'] == 'userworld' and r['process'] and r['thread_count'] >= 1, f"zdump {z}")
r, err = report(os.path.join(d, 'vpxa-zdump.001'))
lay = layout['vpxa-zdump.001']
if err:
    fail('zlib_core_zdump', err)
else:
    z = r['zdump']
    s, c = z['streams'], z['cores']
    expect('zlib_core_found_in_its_stream', len(s) == 1 and s[0]['offset'] == lay['stream_offset'] and
           s[0]['compressed_size'] == lay['compressed_size'] and s[0]['inflated_size'] == lay['core_size'] and
           s[0]['end'] == 'complete' and len(c) == 1 and c[0]['stream'] == 0 and c[0]['offset'] == 0 and
           c[0]['size'] == lay['core_size'] and c[0]['analysed'], f"streams {s} cores {c}")
if 'vmx-zdump.000' in layout:
    r, err = report(os.path.join(d, 'vmx-zdump.000'))
    if err:
        fail('vmx_zdump', err)
    else:
        z = r['zdump']
        expect('vmx_zdump_kind_by_name_and_content', z['kind'] == 'vmx' and z['kind_by_name'] == 'vmx' and
               z['kind_by_content'] == 'vmx' and len(z['cores']) == 1 and z['cores'][0]['analysed']
               and z['streams'][0]['format'] == 'gzip', f"zdump {z}")

# 3. encrypted: told, and nothing read past the plain header
path = os.path.join(d, 'vmkernel-zdump.2')
r, err = report(path)
if err:
    fail('encrypted_zdump', err)
else:
    z = r['zdump']
    expect('encrypted_zdump_told', z['encrypted'] and z['envelope_version'] == 2 and z['streams'] == [] and
           z['cores'] == [] and r['events'] == [] and z['text_bytes'] == layout['vmkernel-zdump.2']['header_text']
           and z['kind'] == 'kernel' and z['kind_by_content'] is None, f"zdump {z}")
    expect('encrypted_zdump_text', 'crypto-util envelope extract --offset 4096' in text_report(path), 'no advice')

# 4. damaged ones: an honest "nothing found", or what there is, never a failure
r, err = report(os.path.join(d, 'garbage-zdump.000'))
expect('garbage_zdump_nothing_found', not err and r['zdump']['streams'] == [] and r['zdump']['cores'] == [] and
       r['events'] == [] and r['findings'] == [] and r['zdump']['headers_tried'] > 0, err or r['zdump'])
expect('garbage_zdump_text', 'nothing found: no log event in the carved text, no ELF core' in
       text_report(os.path.join(d, 'garbage-zdump.000')), 'no "nothing found" line')
path = os.path.join(d, 'cut-zdump.000')
r, err = report(path)
lay = layout['cut-zdump.000']
if err:
    fail('cut_core_zdump', err)
else:
    c = r['zdump']['cores']
    expect('cut_core_told_not_analysed', len(c) == 1 and c[0]['offset'] == lay['core_offset'] and
           c[0]['size'] == lay['core_size'] and c[0]['elf_size'] == lay['elf_size'] and not c[0]['analysed'] and
           c[0]['error'] and path in c[0]['error'] and any(path in w for w in r['warnings']),
           f"cores {c} warnings {r['warnings']}")
r, err = report(os.path.join(d, 'cutgz-zdump.000'))
if err:
    fail('cut_stream_zdump', err)
else:
    s = r['zdump']['streams']
    ev = [e for e in r['events'] if e['kind'] == 'hung-task']
    expect('cut_stream_truncated_its_text_read', len(s) == 1 and s[0]['offset'] == 100 and s[0]['format'] == 'gzip'
           and s[0]['end'] == 'truncated' and ev and ev[0]['comm'] == 'jbd2/sda3-8' and ev[0]['pid'] == 373,
           f"streams {s} events {[(e['kind'], e['comm']) for e in r['events']]}")
r, err = report(os.path.join(d, 'empty-zdump.000'))
expect('empty_zdump', not err and r['zdump']['size'] == 0 and r['events'] == [] and r['zdump']['cores'] == [],
       err or r['zdump'])
sys.exit(1 if logs_check.FAILS else 0)
