#!/usr/bin/env python3
"""python/introspect_reader.py against `introspect query -o jsonl` over stores the demo writes
(tiny JSON lines, medium per-kind, medium single stream), and over a copy with a damaged frame:
both readers must return the same records and the Python one must count the damage.

Usage: python_reader_test.py BIN_DIR SOURCE_DIR (ctest passes both)."""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

BIN, SRC = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "python"))
import introspect_reader  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def normal(obj):
    """A record as comparable text: numbers as floats (C++ prints 2.0 as 2), keys sorted."""
    def norm(v):
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, (int, float)):
            return float(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v
    return json.dumps(norm(obj), sort_keys=True)


def cli_records(store):
    out = subprocess.run([os.path.join(BIN, "introspect"), "query", store, "-o", "jsonl"],
                         check=True, capture_output=True, text=True)
    return collections.Counter(normal(json.loads(l)) for l in out.stdout.splitlines() if l)


def py_records(store):
    s = introspect_reader.Store(store)
    recs = collections.Counter()
    for r in s.records():
        if r["kind"] == "meta" or r.get("table"):
            continue  # `introspect query` hides them by default
        r.pop("ts_ns", None)
        recs[normal(r)] += 1
    return recs, s.damage


def demo(tier, store, *extra):
    subprocess.run([os.path.join(BIN, "demo_product"), "--tier", tier, "--store", store, "--seed",
                    "11", "--events", "3000", *extra], check=True, capture_output=True)


def main():
    work = tempfile.mkdtemp(prefix="ix-pyreader-")
    try:
        stores = {"tiny": os.path.join(work, "tiny"), "per-kind": os.path.join(work, "pk"),
                  "single": os.path.join(work, "single")}
        demo("tiny", stores["tiny"])
        demo("medium", stores["per-kind"], "--mapping", "per-kind")
        demo("medium", stores["single"], "--mapping", "single")
        for label, store in stores.items():
            want = cli_records(store)
            got, damage = py_records(store)
            check(sum(want.values()) > 50, "%s: the demo wrote records (%d)"
                  % (label, sum(want.values())))
            check(got == want, "%s: the Python reader returns what introspect query does" % label)
            check(not damage, "%s: no damage reported" % label)

        # Damage: flip one byte inside a frame in the middle of the first segment.
        bad = os.path.join(work, "bad")
        shutil.copytree(stores["single"], bad)
        seg_dir = next(os.path.join(r, "") for r, _, fs in os.walk(bad)
                       if any(f.endswith(".log") for f in fs))
        seg = os.path.join(seg_dir, sorted(f for f in os.listdir(seg_dir) if f.endswith(".log"))[0])
        with open(seg, "r+b") as f:
            f.seek(os.path.getsize(seg) // 2)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 0xFF]))
        want = cli_records(bad)
        got, damage = py_records(bad)
        check(len(damage) == 1, "damaged copy: one damaged range reported (%s)"
              % "; ".join(map(str, damage)))
        check(damage and damage[0].path == seg, "damaged copy: the report names the segment")
        check(got == want, "damaged copy: both readers skip the same record")
        clean, _ = py_records(stores["single"])
        check(sum(clean.values()) - sum(got.values()) <= 1,
              "damaged copy: only the damaged record is lost")

        # The command-line form prints JSON lines and exits 0.
        out = subprocess.run([sys.executable, os.path.join(SRC, "python", "introspect_reader.py"),
                              stores["per-kind"]], capture_output=True, text=True)
        lines = [json.loads(l) for l in out.stdout.splitlines()]
        check(out.returncode == 0 and len(lines) == sum(cli_records(stores["per-kind"]).values()),
              "introspect_reader.py STORE prints one JSON line per record")
        missing = subprocess.run([sys.executable, os.path.join(SRC, "python",
                                                                "introspect_reader.py"),
                                  os.path.join(work, "nope")], capture_output=True, text=True)
        check(missing.returncode == 2 and "nope" in missing.stderr,
              "a missing store is an error naming it")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
