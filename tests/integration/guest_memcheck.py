#!/usr/bin/env python3
"""Second oracle for the hang/panic guests where crash 8.0.2 cannot read the
kernel (6.12: module layout, mm_rss_stat, struct pid): reads qemu.elf itself.

  guest_memcheck.py SHAPE GDIR    'ok NAME' / 'FAIL NAME: why' lines

Kernel virtual addresses are translated by walking the 4-level page tables
from init_top_pgt (VMCOREINFO: SYMBOL(init_top_pgt), NUMBER(phys_base)); the
struct member offsets come from the guest's DWARF vmlinux through gdb.  It
checks every task of the ground truth (pid, comm, state, CPU) and the lock
words (mutex/rwsem owners, semaphore count, completion, spinlock).
"""
import re, struct, subprocess, sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from guest_scenarios_check import HANG_KEYS, PANIC_KEYS, MASK, MUTEX_OWNERS, read_info  # noqa: E402

START_KERNEL_MAP = 0xffffffff80000000
TASK_RUNNING, TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE = 0, 1, 2

# (name, gdb expression) of every offset we need
OFFSETS = [("pid", "&((struct task_struct *)0)->pid"), ("state", "&((struct task_struct *)0)->__state"),
           ("comm", "&((struct task_struct *)0)->comm"), ("nvcsw", "&((struct task_struct *)0)->nvcsw"),
           ("cpu", "&((struct task_struct *)0)->thread_info.cpu"),
           ("rwsem_owner", "&((struct rw_semaphore *)0)->owner"),
           ("sem_count", "&((struct semaphore *)0)->count"), ("comp_done", "&((struct completion *)0)->done")]


class Dump:
    def __init__(self, path):
        self.f = open(path, "rb")
        eh = self.f.read(64)
        if eh[:4] != b"\x7fELF":
            raise SystemExit("%s: not ELF" % path)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        self.f.seek(phoff)
        ph = self.f.read(phentsize * phnum)
        self.loads, notes = [], []
        for i in range(phnum):
            t, _, off, _, pa, filesz, _, _ = struct.unpack_from("<IIQQQQQQ", ph, i * phentsize)
            if t == 1:
                self.loads.append((pa, filesz, off))
            elif t == 4:
                notes.append((off, filesz))
        self.vmcoreinfo = {}
        for off, size in notes:
            self.f.seek(off)
            data, p = self.f.read(size), 0
            while p + 12 <= len(data):
                nsz, dsz, _ = struct.unpack_from("<III", data, p)
                name = data[p + 12:p + 12 + nsz].rstrip(b"\0")
                desc = data[p + 12 + (nsz + 3 & ~3):p + 12 + (nsz + 3 & ~3) + dsz]
                if name == b"VMCOREINFO":
                    for line in desc.decode(errors="replace").splitlines():
                        k, _, v = line.partition("=")
                        self.vmcoreinfo[k] = v
                p += 12 + (nsz + 3 & ~3) + (dsz + 3 & ~3)
        pb = int(self.vmcoreinfo["NUMBER(phys_base)"])
        self.phys_base = pb & (2**64 - 1)
        self.pgd = self.kimage_pa(int(self.vmcoreinfo["SYMBOL(init_top_pgt)"], 16))

    def kimage_pa(self, va):
        return (va - START_KERNEL_MAP + self.phys_base) & (2**64 - 1)

    def phys(self, pa, n):
        for base, size, off in self.loads:
            if base <= pa and pa + n <= base + size:
                self.f.seek(off + pa - base)
                return self.f.read(n)
        raise KeyError("PA %#x not in the dump" % pa)

    def q(self, pa):
        return struct.unpack("<Q", self.phys(pa, 8))[0]

    def v2p(self, va):
        table = self.pgd
        for shift in (39, 30, 21, 12):
            e = self.q(table + ((va >> shift) & 511) * 8)
            if not e & 1:
                raise KeyError("VA %#x not mapped" % va)
            if shift in (30, 21) and e & 0x80:          # 1 GiB / 2 MiB page
                mask = (1 << shift) - 1
                return (e & 0x000ffffffffff000 & ~mask) | (va & mask)
            table = e & 0x000ffffffffff000
        return table | (va & 0xfff)

    def read(self, va, n):
        out = b""
        while n:
            chunk = min(n, 0x1000 - (va & 0xfff))
            out += self.phys(self.v2p(va), chunk)
            va, n = va + chunk, n - chunk
        return out

    def u(self, va, size):
        return int.from_bytes(self.read(va, size), "little")


def offsets(vmlinux):
    cmd = ["gdb", "-batch", "-nx"]
    for _, expr in OFFSETS:
        cmd += ["-ex", 'printf "%%d\\n", %s' % expr]
    out = subprocess.run(cmd + [vmlinux], capture_output=True, text=True).stdout.split()
    nums = [int(x) for x in out if re.fullmatch(r"\d+", x)]
    if len(nums) != len(OFFSETS):
        raise SystemExit("gdb gave %r" % out)
    return dict(zip([n for n, _ in OFFSETS], nums))


def main():
    shape, gdir = sys.argv[1], sys.argv[2]
    info = read_info(gdir)
    res = []

    def ok(name, cond, why=""):
        res.append("ok %s mem %s" % (shape, name) if cond else "FAIL %s mem %s: %s" % (shape, name, why))

    keys = HANG_KEYS if shape == "hang" else PANIC_KEYS
    if any(not info.get(k) for k in keys):
        print("FAIL %s mem: info incomplete" % shape)
        return
    off = offsets(info["vmlinux_debug"])
    d = Dump(gdir + "/qemu.elf")

    def task(pidkey, taskkey, states, cpu=None, comm=None):
        t, name = int(info[taskkey], 16), pidkey
        try:
            pid = d.u(t + off["pid"], 4)
            st = d.u(t + off["state"], 4)
            tcomm = d.read(t + off["comm"], 16).split(b"\0")[0].decode(errors="replace")
            tcpu = d.u(t + off["cpu"], 4)
        except KeyError as e:
            ok(name, False, str(e))
            return
        ok(name + " pid", str(pid) == info[pidkey], "task %s has pid %d" % (info[taskkey], pid))
        ok(name + " state", st in states, "__state %#x, want %s" % (st, states))
        if comm:
            ok(name + " comm", tcomm == comm, "%r, want %r" % (tcomm, comm))
        if cpu is not None:
            ok(name + " cpu", str(tcpu) == cpu, "cpu %d, want %s" % (tcpu, cpu))

    D, S, R = [TASK_UNINTERRUPTIBLE], [TASK_INTERRUPTIBLE], [TASK_RUNNING]
    for n in ("ab", "ba", "reader"):
        task("dl_%s_pid" % n, "dl_%s_task" % n, D, comm="dl_" + n)
    checks = []
    for lock, owner in MUTEX_OWNERS:
        if lock in info:
            checks.append(("%s owner" % lock, int(info[lock], 16), 8, lambda v, w=int(info[owner], 16): v & MASK == w))
    if shape == "hang":
        for k in ("sem_waiter", "comp_waiter", "cyc1", "cyc2", "cyc3", "user_holder"):
            task(k + "_pid", k + "_task", D)
        task("user_reader_pid", "user_reader_task", D, comm=info["user_reader_comm"])
        task("slp_holder_pid", "slp_holder_task", S, comm="dl_slp_hold")
        for i, (pid, t) in enumerate(zip(info["slp_waiter_pids"].split(","), info["slp_waiter_tasks"].split(","))):
            info["slpw%d_pid" % i], info["slpw%d_task" % i] = pid, t
            task("slpw%d_pid" % i, "slpw%d_task" % i, D, comm="dl_slp_w%d" % i)
        task("spin_holder_pid", "spin_holder_task", R, cpu=info["spin_holder_cpu"], comm="dl_spin_hold")
        task("spin_waiter_pid", "spin_waiter_task", R, cpu=info["spin_waiter_cpu"], comm="dl_spin_wait")
        task("shortd_pid", "shortd_task", D + R, comm="dl_shortd")
        t3 = int(info["cyc3_task"], 16)
        checks += [("cyc_rwsem reader-owned by cyc3", int(info["cyc_rwsem"], 16) + off["rwsem_owner"], 8,
                    lambda v: v & 1 == 1 and v & MASK == t3),
                   ("sem count 0", int(info["sem"], 16) + off["sem_count"], 4, lambda v: v == 0),
                   ("comp not done", int(info["comp"], 16) + off["comp_done"], 4, lambda v: v == 0),
                   ("spin_lock locked", int(info["spin_lock"], 16), 4, lambda v: v & 0xff == 1),
                   ("shortd switches", int(info["shortd_task"], 16) + off["nvcsw"], 8, lambda v: v >= 20)]
    else:
        task("oops_pid", "oops_task", R, cpu=info["oops_cpu"], comm="dl_oops")
    for name, va, size, pred in checks:
        try:
            v = d.u(va, size)
            ok(name, pred(v), "%#x at %#x" % (v, va))
        except KeyError as e:
            ok(name, False, str(e))
    print("\n".join(res))


if __name__ == "__main__":
    main()
