#!/usr/bin/env python3
"""Fails unless libcoffer.so exports exactly the public API.

Usage: check_symbols.py LIBCOFFER_SO C_H

Policy (strict, but with nothing to update when the API grows):
  - C ABI: the exported coffer_* symbols are exactly the functions that
    include/coffer/c.h and the coffer/c/*.h headers it includes declare with
    COFFER_EXPORT (none missing, none extra).
  - C++ API: demangled names of public entities of namespace coffer, which are
    CamelCase (types and functions) or kConstants: functions and methods of
    them, and the typeinfo and vtables of exported classes.
  - Nothing else: no std:: or absl:: instantiation, and none of lib/'s
    internal namespaces (coffer::node::, coffer::crypto::, ... lower case).
"""
import os
import re
import subprocess
import sys

# A public name: CamelCase type or function, or kConstant.
PUBLIC = r"(?:[A-Z]\w*|k[A-Z]\w*)"
SCOPE = rf"coffer::(?:{PUBLIC}::)*"
ALLOWED_CXX = [
    # functions, methods, constructors, destructors, operators
    re.compile(rf"^{SCOPE}(?:~?{PUBLIC}|operator\S+)(?:\[abi:\w+\])*\(.*\)( const)?$"),
    # variables (constants)
    re.compile(rf"^{SCOPE}k[A-Z]\w*$"),
    re.compile(rf"^(?:typeinfo|typeinfo name|vtable) for {SCOPE}{PUBLIC}$"),
]
C_SYMBOL = re.compile(r"^coffer_[a-z0-9_]+$")


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    mangled = [line.split()[-1] for line in out.splitlines() if line.strip()]
    demangled = subprocess.run(["c++filt"], input="\n".join(mangled),
                               check=True, capture_output=True,
                               text=True).stdout.splitlines()
    return list(zip(mangled, demangled))


def declared(header):
    """The COFFER_EXPORT functions of `header` and of the coffer/c/ headers
    it includes (resolved against the include directory above it)."""
    include_dir = os.path.dirname(os.path.dirname(os.path.abspath(header)))
    names, seen, todo = set(), set(), [os.path.abspath(header)]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = open(path, encoding="utf-8").read()
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        names |= set(re.findall(r"COFFER_EXPORT[^;{]*?\b(coffer_\w+)\s*\(",
                                text, flags=re.S))
        for inc in re.findall(r'#include "(coffer/c/\w+\.h)"', text):
            todo.append(os.path.join(include_dir, inc))
    return names


def main():
    lib, header = sys.argv[1], sys.argv[2]
    symbols = exported(lib)
    c_exported = {m for m, _ in symbols if C_SYMBOL.match(m)}
    c_declared = declared(header)
    problems = []
    for name in sorted(c_declared - c_exported):
        problems.append(f"declared in the C headers but not exported: {name}")
    for name in sorted(c_exported - c_declared):
        problems.append(f"exported but not declared in the C headers: {name}")
    cxx = 0
    for mangled, name in symbols:
        if C_SYMBOL.match(mangled):
            continue
        if any(p.match(name) for p in ALLOWED_CXX):
            cxx += 1
            continue
        problems.append(f"not part of the public API: {name} ({mangled})")
    if "coffer_node_open" not in c_exported or cxx == 0:
        problems.append("the public API itself is missing (nm output empty?)")
    print(f"{len(c_exported)} C symbols, {cxx} C++ symbols exported")
    for p in problems:
        print(p)
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
