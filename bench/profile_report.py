#!/usr/bin/python3
# profile_report.py — turns callgrind profiles of one loop at two lengths into instructions per
# captured call (the difference of the two, so start-up and the database open cancel out): the
# pipeline's stages, the cost by shared object, and the top functions by self cost.
#
# usage: profile_report.py SHORT.out LONG.out CALLS [BASE_SHORT.out BASE_LONG.out]
#        profile_report.py --startup WITH.out WITHOUT.out   (one process start, e.g. /bin/true)
#   CALLS: how many more captured calls LONG made than SHORT. BASE_*: the same loop without the
#   preload, so the whole-process figure is what the preload adds per call.
# A stage whose entry function is gone (renamed, inlined) shows "-": the table follows the names
# in the code, it does not guess.
import collections, os, re, subprocess, sys

LINE = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*?):(\S.*?) \[(.*)\]\s*$")
TOTAL = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+PROGRAM TOTALS")


def load(path, inclusive):
    """{(function, object basename): Ir} and the program total, from callgrind_annotate."""
    out = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100",
                          "--inclusive=" + ("yes" if inclusive else "no"), path],
                         check=True, capture_output=True, text=True).stdout
    costs, total = collections.Counter(), 0
    for line in out.splitlines():
        m = TOTAL.match(line)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        m = LINE.match(line)
        if not m:
            continue
        fn = re.sub(r"\.(constprop|isra|part|cold)\.\d+", "", m.group(3))
        rec = "'" in fn                       # 'N: a recursion level, already in level 1 inclusive
        fn = fn.split("'")[0]
        if inclusive and rec:
            continue
        costs[(fn, os.path.basename(m.group(4)))] += int(m.group(1).replace(",", ""))
    return costs, total


def per_call(short, long_, calls, inclusive):
    a, ta = load(short, inclusive)
    b, tb = load(long_, inclusive)
    keys = set(a) | set(b)
    return {k: (b[k] - a[k]) / calls for k in keys}, (tb - ta) / calls


def incl(costs, *names):
    """Inclusive cost of the named functions (any object); None when none of them is there."""
    found = [v for (fn, _), v in costs.items() if fn in names]
    return sum(found) if found else None


def sub(a, *bs):
    if a is None:
        return None
    return a - sum(b for b in bs if b is not None)


def main(argv):
    short, long_, calls = argv[0], argv[1], float(argv[2])
    inc, total = per_call(short, long_, calls, True)
    self_, _ = per_call(short, long_, calls, False)
    added = None
    if len(argv) >= 5:
        _, base_total = per_call(argv[3], argv[4], calls, True)
        added = total - base_total
        print("the loop costs %s instructions per call without the preload, %s with it"
              % ("{:,.0f}".format(base_total), "{:,.0f}".format(total)))

    conn = incl(inc, "pl_conn_data")
    feed = incl(inc, "pl_h1_feed", "pl_h2_feed")
    commit = incl(inc, "pl_capture_commit")
    normalize = incl(inc, "pl_llm_normalize", "pl_llm_prompt_preview", "pl_llm_completion_preview")
    insert = incl(inc, "pl_store_insert")
    compress = incl(inc, "pl_zblob_compress")
    redact_hdr = incl(inc, "pl_redact_header_name", "pl_redact_headers")
    redact_url = incl(inc, "pl_redact_url")
    redact = None if redact_url is None and redact_hdr is None else (redact_url or 0) + (redact_hdr or 0)
    hjson = sub(incl(inc, "headers_json"), redact_hdr)
    sqlite = sub(insert, compress, incl(inc, "headers_json"), redact_url)
    base = added if added is not None else (conn if conn is not None else commit)

    rows = []
    if added is not None:
        rows.append(("whole process: instructions the preload adds per captured call", added, 0))
        rows.append(("hook wrappers, side effects (and the program's run-to-run noise)", sub(added, conn), 1))
    # The commit runs either inside the parser's callback (then pl_h1_feed includes it) or after
    # the feed returns, from the connection layer: subtract it from whichever holds it.
    nested = feed is not None and commit is not None and feed >= commit
    if conn is not None:
        rows.append(("pl_conn_data: everything done with the bytes", conn, 1))
        rows.append(("connection table, sniffing, per-connection bookkeeping",
                     sub(conn, feed) if nested else sub(conn, feed, commit), 2))
    if feed is not None:
        rows.append(("HTTP parsing (pl_h1_feed / pl_h2_feed, without the commit)",
                     sub(feed, commit) if nested else feed, 2))
    rows += [
        ("pl_capture_commit: the capture of one exchange", commit, 2),
        ("normalization (pl_llm_normalize + previews)", normalize, 3),
        ("redaction (pl_redact_url, pl_redact_header_name)", redact, 3),
        ("headers to JSON (headers_json, without redaction)", hjson, 3),
        ("compression (pl_zblob_compress: zstd)", compress, 3),
        ("SQLite transaction (BEGIN..COMMIT, binds: pl_store_insert rest)", sqlite, 3),
        ("rest of commit (row building, frees, cJSON_Delete)", sub(commit, normalize, insert), 3),
    ]
    print("instructions per captured call (callgrind Ir, difference of two loop lengths / %g calls)" % calls)
    for label, v, depth in rows:
        pct = "" if v is None or not base else "%5.1f%%" % (100.0 * v / base)
        print("  %-72s %10s  %s" % ("  " * depth + label, "-" if v is None else "{:,.0f}".format(v), pct))

    by_obj = collections.Counter()
    for (fn, obj), v in self_.items():
        by_obj[obj] += v
    print("\nself cost per call by shared object (what grew between the two loop lengths)")
    for obj, v in by_obj.most_common(10):
        if v > 0.5:
            print("  %-44s %10s" % (obj, "{:,.0f}".format(v)))

    print("\ntop functions by self cost per call")
    top = sorted(self_.items(), key=lambda kv: -kv[1])[:25]
    for (fn, obj), v in top:
        print("  %-52s %-26s %9s" % (fn[:52], obj[:26], "{:,.0f}".format(v)))


def startup(with_out, without_out):
    inc, total = load(with_out, True)
    self_, _ = load(with_out, False)
    _, base = load(without_out, True)
    print("instructions to start the process: %s without the preload, %s with it (+%s)"
          % tuple("{:,.0f}".format(v) for v in (base, total, total - base)))
    by_obj = collections.Counter()
    for (fn, obj), v in self_.items():
        by_obj[obj] += v
    print("self cost by shared object (with the preload)")
    for obj, v in by_obj.most_common(8):
        print("  %-44s %10s" % (obj, "{:,.0f}".format(v)))
    print("the library's functions and the loader's work, by inclusive cost")
    mine = [(k, v) for k, v in inc.items() if k[1] == "libpromptlog.so" or k[0] in
            ("_dl_relocate_object", "_dl_map_object", "_dl_init", "dladdr", "_dl_addr")]
    for (fn, obj), v in sorted(mine, key=lambda kv: -kv[1])[:15]:
        print("  %-52s %-26s %10s" % (fn[:52], obj[:26], "{:,.0f}".format(v)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--startup"]:
        startup(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1:])
