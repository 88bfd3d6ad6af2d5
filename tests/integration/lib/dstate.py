"""drgn script: print every task in D state (TASK_UNINTERRUPTIBLE) with its
stack, one line per task:  PID COMM: func1 < func2 < ...
Run as: drgn -c CORE -s VMLINUX [-s MODULE.ko] dstate.py"""
from drgn.helpers.linux.pid import for_each_task

count = 0
for task in for_each_task(prog):
    state = task.__state.value_() if hasattr(task, "__state") else task.state.value_()
    if (state & 2) == 0 or (state & 0x400):    # TASK_UNINTERRUPTIBLE, not TASK_IDLE (NOLOAD)
        continue
    names = []
    for frame in prog.stack_trace(task):
        try:
            names.append(frame.name or hex(frame.pc))
        except Exception:
            names.append(hex(frame.pc))
    print("%d %s: %s" % (task.pid.value_(), task.comm.string_().decode(), " < ".join(names)))
    count += 1
print("D-state tasks: %d" % count)
