"""`eu-stack -i` as data: the one parser of its output for the tests."""
import re
import subprocess

FRAME = re.compile(r'#\d+\s+0x[0-9a-f]+(?:\s+- 1)?(?:\s+(.*))?$')


def eu_stack(core, exe=None, drop_unknown=False):
    """tid -> [function names, innermost first, inline frames included].

    A frame eu-stack cannot name is '??', or left out with drop_unknown."""
    cmd = ['eu-stack', '-i', '-n', '256', '--core', core] + (['-e', exe] if exe else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    res, cur = {}, None
    for line in out.splitlines():
        m = re.match(r'TID (\d+):', line)
        if m:
            cur = res.setdefault(int(m.group(1)), [])
            continue
        m = FRAME.match(line)
        if m and cur is not None:
            name = (m.group(1) or '').strip() or '??'
            if not (drop_unknown and name == '??'):
                cur.append(name)
    return res
