#!/usr/bin/env python3
"""The CLI on a real terminal (issue 14): colour, width and pager only where a person reads.

Runs build/bin/introspect as a child process on a pseudo-terminal (python3's pty module, a
window size set with TIOCSWINSZ) and on a pipe, over a store demo_product writes, and checks:
colour on a terminal and never on a pipe (NO_COLOR, TERM=dumb and --color override it), table
lines cut to the terminal's width, local times on a terminal and RFC 3339 UTC on a pipe, and
the pager ($PAGER, with LESS=FRSX when unset) run only on a terminal and never with --no-pager.
Usage: tty_test.py BIN_DIR
"""
import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import termios

BIN = sys.argv[1]
CLI = os.path.join(BIN, "introspect")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PAGER", "LESS")}
    env.update({"TERM": "xterm", "TZ": "UTC"})
    env.update(extra)
    return env


def run_tty(args, env, cols=100, rows=40):
    """Runs the CLI with stdin/stdout/stderr on a pty of cols x rows; returns (code, text)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    p = subprocess.Popen([CLI] + args, stdin=slave, stdout=slave, stderr=slave, env=env,
                         start_new_session=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer of the pty is gone
            break
        if not chunk:
            break
        out += chunk
    code = p.wait(timeout=120)
    os.close(master)
    # The terminal turns "\n" into "\r\n".
    return code, out.decode("utf-8", "replace").replace("\r\n", "\n")


def run_pipe(args, env):
    r = subprocess.run([CLI] + args, capture_output=True, env=env, timeout=120)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def widest(text):
    return max((len(ANSI.sub("", line)) for line in text.splitlines()), default=0)


work = tempfile.mkdtemp(prefix="ix-tty-")
try:
    store = os.path.join(work, "store")
    # disk-fill: notifications of every severity (info to critical), so rows get colours.
    subprocess.run([os.path.join(BIN, "demo_product"), "--tier", "small", "--store", store,
                    "--seed", "7", "--events", "5000", "--scenario", "disk-fill"],
                   check=True, capture_output=True, timeout=120)
    query = ["query", store, "--kind", "notification"]

    # A terminal: colour, local time (TZ=UTC: no "T...Z" stamps), lines cut to the width.
    code, text = run_tty(query + ["--no-pager"], base_env(), cols=100)
    check(code == 0, f"query on a terminal exits 0 (got {code}): {text[:300]!r}")
    check("\x1b[" in text, "a terminal gets colour")
    crit = [l for l in text.splitlines() if "critical" in l]
    info = [l for l in text.splitlines() if " info " in ANSI.sub("", l)]
    check(bool(crit) and crit[0].startswith("\x1b["), "the critical notification's row is coloured")
    check(bool(info) and "\x1b[" not in info[0], "an info row is not coloured")
    check("KIND" in ANSI.sub("", text), "the table has its header line")
    check(not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", text),
          "a terminal shows local times, not RFC 3339 stamps")
    check(widest(text) <= 100, f"lines fit a 100-column terminal (widest {widest(text)})")

    _, narrow = run_tty(query + ["--no-pager"], base_env(), cols=60)
    _, wide = run_tty(query + ["--no-pager"], base_env(), cols=220)
    check(widest(narrow) <= 60, f"lines fit a 60-column terminal (widest {widest(narrow)})")
    check(widest(wide) > 60, f"a 220-column terminal is used (widest {widest(wide)})")
    check(widest(wide) <= 220, f"lines fit a 220-column terminal (widest {widest(wide)})")

    # Colour is off when asked: NO_COLOR, TERM=dumb, --color never.
    for label, args, env in (("NO_COLOR", [], base_env(NO_COLOR="1")),
                             ("TERM=dumb", [], base_env(TERM="dumb")),
                             ("--color never", ["--color", "never"], base_env())):
        _, t = run_tty(query + ["--no-pager"] + args, env)
        check("\x1b[" not in t, f"{label}: no escape sequences on a terminal")
        check("KIND" in t, f"{label}: the table is still printed")

    # A pipe: complete plain lines with RFC 3339 UTC stamps; --color always forces colour.
    code, piped = run_pipe(query, base_env())
    check(code == 0, f"query on a pipe exits 0 (got {code})")
    check("\x1b[" not in piped, "a pipe gets no colour")
    check(re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", piped) is not None,
          "a pipe gets RFC 3339 UTC stamps")
    _, forced = run_pipe(query + ["--color", "always"], base_env())
    check("\x1b[" in forced, "--color always colours a pipe")

    # The pager: a script standing in for less records what it was given.
    paged = os.path.join(work, "paged.txt")
    pager = os.path.join(work, "pager.sh")
    with open(pager, "w") as f:
        f.write(f'#!/bin/sh\necho "LESS=$LESS" > "{paged}"\ncat >> "{paged}"\n')
    os.chmod(pager, 0o755)
    code, shown = run_tty(query, base_env(PAGER=pager))
    check(code == 0, f"paged query exits 0 (got {code})")
    check(os.path.exists(paged), "on a terminal the table goes through $PAGER")
    if os.path.exists(paged):
        got = open(paged, encoding="utf-8", errors="replace").read()
        check("KIND" in got and "notification" in got, "the pager receives the table")
        check(got.startswith("LESS=FRSX"), "the pager gets LESS=FRSX when LESS is unset")
        check("notification" not in shown, "the terminal itself shows only what the pager shows")
        os.remove(paged)
    run_tty(query + ["--no-pager"], base_env(PAGER=pager))
    check(not os.path.exists(paged), "--no-pager never runs the pager")
    run_pipe(query, base_env(PAGER=pager))
    check(not os.path.exists(paged), "a pipe never runs the pager")
    code, kept = run_tty(query, base_env(PAGER=pager, LESS="R"))
    if os.path.exists(paged):
        check(open(paged).readline().strip() == "LESS=R", "a user's LESS is kept")
finally:
    shutil.rmtree(work, ignore_errors=True)

if failures:
    print(f"{len(failures)} check(s) failed")
    sys.exit(1)
print("all terminal checks passed")
