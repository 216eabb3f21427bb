#!/usr/bin/python3
# perf_report.py — what the preload adds per captured call in CPU time, by shared object and by
# system call, from two `perf record -e cpu-clock` profiles of the same loop (without / with).
# Callgrind counts instructions; this sees the kernel and the cache misses too.
#
# usage: perf_report.py WITHOUT.data WITH.data CALLS HZ
import collections, subprocess, sys


def rows(path, *args):
    out = subprocess.run(["perf", "report", "-i", path, "--stdio", "-g", "none", "-F", "sample," + args[0]]
                         + list(args[1:]), check=True, capture_output=True, text=True).stdout
    c = collections.Counter()
    for line in out.splitlines():
        p = line.split(None, 1)
        if len(p) == 2 and p[0].isdigit() and not line.startswith("#"):
            c[p[1].strip()] += int(p[0])
    return c


def main():
    base, pre, calls, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    us = 1e6 / hz / calls   # microseconds per sample per call
    b, p = rows(base, "dso", "--no-children", "--sort", "dso"), rows(pre, "dso", "--no-children", "--sort", "dso")
    print("CPU time the preload adds per captured call, by object (perf cpu-clock samples)")
    for k in sorted(set(b) | set(p), key=lambda k: b[k] - p[k]):
        d = (p[k] - b[k]) * us
        if abs(d) >= 0.5:
            print("  %-40s %+8.1f us" % (k, d))
    print("  %-40s %+8.1f us" % ("all", (sum(p.values()) - sum(b.values())) * us))
    b, p = rows(base, "sym", "--children", "--sort", "sym"), rows(pre, "sym", "--children", "--sort", "sym")
    print("kernel time under the system calls the commit makes (inclusive)")
    for name in ("__x64_sys_pwrite64", "__x64_sys_pread64", "__x64_sys_fcntl", "__x64_sys_fdatasync",
                 "__x64_sys_rt_sigprocmask", "__x64_sys_rt_sigpending", "asm_exc_page_fault"):
        k = "[k] " + name
        print("  %-40s %+8.1f us" % (name, (p[k] - b[k]) * us))


main()
