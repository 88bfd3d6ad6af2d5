#!/usr/bin/python3
"""ktypes_oracle.py VMLINUX QUERY... - the independent oracle for test_ktypes_guest:
drgn reads the vmlinux's DWARF and answers each query on its own line:
  o:STRUCT:PATH   offsetof          s:STRUCT       sizeof
  m:STRUCT:PATH   member size       e:ENUM:NAME    enumerator value (ENUM empty: any enum)
with a decimal number, or "missing" when the struct/member/enumerator does not
exist (or is a bitfield for o:/m:)."""
import sys

import drgn


def answer(prog, q):
    kind, rest = q.split(":", 1)
    if kind == "s":
        return drgn.sizeof(prog.type("struct " + rest))
    if kind == "e":
        enum, name = rest.split(":", 1)
        if not enum:
            return prog.constant(name).value_()
        for e in prog.type("enum " + enum).enumerators:
            if e.name == name:
                return e.value
        raise LookupError(name)
    struct, path = rest.split(":", 1)
    t = prog.type("struct " + struct)
    if kind == "o":
        return drgn.offsetof(t, path)
    # member size: walk the designator with drgn's own member lookup
    ty = t
    for part in path.split("."):
        name, _, idx = part.partition("[")
        ty = ty.member(name).type
        if ty.unqualified().kind != drgn.TypeKind.ARRAY and idx:
            raise LookupError(part)
        for _ in range(idx.count("]")):
            ty = ty.unqualified().type
    return drgn.sizeof(ty) if ty.unqualified().kind != drgn.TypeKind.ARRAY or ty.unqualified().length is not None else 0


def main():
    prog = drgn.Program()
    prog.load_debug_info([sys.argv[1]])
    for q in sys.argv[2:]:
        try:
            print(answer(prog, q))
        except (LookupError, ValueError, TypeError):
            print("missing")


main()
