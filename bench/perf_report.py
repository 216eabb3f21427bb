#!/usr/bin/python3
# perf_report.py — what the preload adds per captured call in CPU time, by shared object and by
# system call, from two `perf record -e cpu-clock` profiles of the same loop (without / with).
# Callgrind counts instructions; this sees the kernel and the cache misses too.
#
# usage: perf_report.py WITHOUT.data WITH.data CALLS HZ
import collections, subprocess, sys


def report(path, *args):
    return subprocess.run(["perf", "report", "-i", path, "--stdio", "-g", "none"] + list(args),
                          check=True, capture_output=True, text=True).stdout.splitlines()


def by_dso(path):
    """{object: self samples}"""
    c = collections.Counter()
    for line in report(path, "--no-children", "--sort", "dso", "-F", "sample,dso"):
        p = line.split(None, 1)
        if len(p) == 2 and p[0].isdigit():
            c[p[1].strip()] += int(p[0])
    return c


def inclusive(path, total):
    """{symbol: inclusive samples}, from the children percentage of the whole."""
    c = collections.Counter()
    for line in report(path, "--children", "--sort", "sym"):
        p = line.split()
        if len(p) >= 4 and p[0].endswith("%") and p[1].endswith("%"):
            c[p[-1]] += float(p[0][:-1]) * total / 100
    return c


def main():
    base, pre, calls, hz = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    us = 1e6 / hz / calls   # microseconds per sample per call
    b, p = by_dso(base), by_dso(pre)
    print("CPU time the preload adds per captured call, by object (perf cpu-clock samples)")
    for k in sorted(set(b) | set(p), key=lambda k: b[k] - p[k]):
        if abs(p[k] - b[k]) * us >= 0.5:
            print("  %-40s %+8.1f us" % (k, (p[k] - b[k]) * us))
    print("  %-40s %+8.1f us" % ("all", (sum(p.values()) - sum(b.values())) * us))
    bi, pi = inclusive(base, sum(b.values())), inclusive(pre, sum(p.values()))
    print("kernel time under the system calls a commit makes (inclusive)")
    for name in ("__x64_sys_pwrite64", "__x64_sys_pread64", "__x64_sys_fcntl", "__x64_sys_fdatasync",
                 "__x64_sys_rt_sigprocmask", "__x64_sys_rt_sigpending", "asm_exc_page_fault"):
        print("  %-40s %+8.1f us" % (name, (pi[name] - bi[name]) * us))


main()
