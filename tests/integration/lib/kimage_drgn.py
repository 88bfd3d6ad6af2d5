"""drgn script, the independent oracle of tests/integration/kernel_image.sh.
Prints, one line each:
  off MEMBER N              offsetof(struct task_struct, MEMBER) (tasks, thread_node)
  cpu C PID TASK            the task on each online CPU's run queue
  module NAME BASE SIZE     each module's core layout (text first)
  task PID TASK ST COMM|F1@PC1 F2@PC2 ...
                            every task (idle tasks too; ST: task_state_to_char)
                            with drgn's stack: the non-inline frames up to the
                            first one drgn cannot name (assembly, user mode,
                            module code without its DWARF)
Run as: drgn -q -c CORE -s VMLINUX kimage_drgn.py [cpus]   (cpus: only the off and cpu lines)"""
import sys

from drgn import offsetof
from drgn.helpers.linux.cpumask import for_each_online_cpu
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.sched import task_state_to_char

ts = prog.type("struct task_struct")
for m in ("tasks", "thread_node"):
    print("off", m, offsetof(ts, m))


for mod in list_for_each_entry("struct module", prog["modules"].address_of_(), "list"):
    print("module", mod.name.string_().decode(), hex(mod.core_layout.base.value_()),
          mod.core_layout.size.value_())


def names(task):
    out = []
    try:
        for f in prog.stack_trace(task):
            if f.name is None:
                break
            # inline frames are marked "~" (the physical-frame checks skip them)
            out.append("%s%s@%x" % ("~" if f.is_inline else "", f.name, f.pc))
    except Exception as e:      # an unwinding error ends the list there
        out.append("!" + type(e).__name__)
    return out


def line(task):
    print("task %d %s %s %s|%s" % (task.pid.value_(), hex(task.value_()), task_state_to_char(task),
                                  task.comm.string_().decode(errors="replace"), " ".join(names(task))))


seen = set()
for c in for_each_online_cpu(prog):
    rq = per_cpu(prog["runqueues"], c)
    cur = rq.curr
    print("cpu", c, cur.pid.value_(), hex(cur.value_()))
    if sys.argv[1:] == ["cpus"]:
        continue
    idle = rq.idle
    if idle.value_() not in seen:      # the idle tasks are not on the task list
        seen.add(idle.value_())
        line(idle)
for t in [] if sys.argv[1:] == ["cpus"] else for_each_task(prog):
    if t.value_() not in seen:
        seen.add(t.value_())
        line(t)
