"""drgn script, the independent oracle of test_orc_guest.c: prints the DWARF
facts the unwinder's caller needs and drgn's own stack trace of every task
and every vCPU's current task, one line each:
  thread_sp_off N             offsetof(struct task_struct, thread.sp)
  frame SIZE BP_OFF RET_OFF   struct inactive_task_frame
  module NAME IP ORC NUM TEXT TEXT_SIZE    mod->arch ORC tables, core text
  task PID ADDR STACK CPU PC...            CPU -1 if not running; PCs as drgn
                                           gives them, inline duplicates merged
Run as: drgn -q -c CORE -s VMLINUX orc_oracle.py"""
from drgn import offsetof
from drgn.helpers.linux.cpumask import for_each_online_cpu
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.percpu import per_cpu



def cpu_curr(c):
    return per_cpu(prog["runqueues"], c).curr


ts = prog.type("struct task_struct")
print("thread_sp_off", offsetof(ts, "thread.sp"))
fr = prog.type("struct inactive_task_frame")
print("frame", fr.size, offsetof(fr, "bp"), offsetof(fr, "ret_addr"))
for mod in list_for_each_entry("struct module", prog["modules"].address_of_(), "list"):
    a = mod.arch
    print("module", mod.name.string_().decode(), hex(a.orc_unwind_ip.value_()),
          hex(a.orc_unwind.value_()), a.num_orcs.value_(),
          hex(mod.core_layout.base.value_()), mod.core_layout.text_size.value_())


def line(task, cpu):
    pcs = []
    try:
        for f in prog.stack_trace(task):
            if f.pc == 0:
                break
            if not pcs or pcs[-1] != f.pc:
                pcs.append(f.pc)
    except Exception:
        pass
    print("task", task.pid.value_(), hex(task.value_()), hex(task.stack.value_()), cpu,
          " ".join(hex(p) for p in pcs))


running = {}
for c in for_each_online_cpu(prog):
    running[cpu_curr(c).value_()] = c
for t in for_each_task(prog):
    if t.value_() not in running:
        line(t, -1)
for addr, c in running.items():
    line(cpu_curr(c), c)
