#!/usr/bin/env python3
"""Read an introspect store from Python, standard library only (docs/payload.md, docs/format.md).

A stream store (a root directory holding scopes, or one scope directory) is read frame by frame:
each frame's CRC32C is checked, damaged ranges are skipped, reported and counted like the C++
reader does, truncation points are honoured. Tiny-tier JSON-lines files (a file, or a directory
of *.jsonl) are read line by line; malformed lines are reported and skipped.

    from introspect_reader import Store
    store = Store("/var/lib/product/introspection")
    for r in store.records():          # dicts shaped like `introspect query -o jsonl` lines
        if r["kind"] == "metric":
            print(r["ts"], r["name"], r.get("value"))
    print(len(store.damage), "damaged ranges")

As a command: python3 introspect_reader.py STORE... [--all] prints JSON lines (like
`introspect query STORE -o jsonl`, unordered across streams; --all keeps meta records and
state-table lines) and reports damage on stderr.
"""
import datetime
import json
import math
import os
import struct
import sys

__all__ = ["Store", "Damage", "crc32c", "decode_payload", "format_ts"]

KINDS = {1: "state", 2: "metric", 3: "notification", 4: "insight", 5: "record", 6: "snapshot",
         7: "meta"}
SEVERITIES = ["debug", "info", "notice", "warning", "error", "critical"]
METRIC_TYPES = ["none", "counter", "gauge", "histogram"]
FLAG_TABLE = 1

SEGMENT_MAGIC = b"IXSTSEG\0"
SEGMENT_HEADER = 32
FRAME_HEADER = 20
MAX_PAYLOAD = 16 << 20
FORMAT_VERSION = 1
PAYLOAD_VERSION = 1
TRUNC_MAGIC = b"IXSTTRN\0"
ENVELOPE_HEADER = 24


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data, crc=0):
    """CRC32C (Castagnoli, reflected, as iSCSI/ext4 use it) of `data`, extending `crc`."""
    c = crc ^ 0xFFFFFFFF
    t = _TABLE
    for b in data:
        c = (c >> 8) ^ t[(c ^ b) & 0xFF]
    return c ^ 0xFFFFFFFF


class Damage:
    """A damaged place: the file, a byte offset (or a line number for text), and why."""

    def __init__(self, path, offset, reason, line=0):
        self.path, self.offset, self.reason, self.line = path, offset, reason, line

    def __str__(self):
        if self.line:
            return "%s:%d: %s" % (self.path, self.line, self.reason)
        return "%s@%d: %s" % (self.path, self.offset, self.reason)


def format_ts(ns):
    """Nanoseconds since the epoch as RFC 3339 UTC with 9 fractional digits."""
    sec, frac = divmod(ns, 1_000_000_000)
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=sec)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % frac


class _Bytes:
    """A bounds-checked cursor over a payload; every read past the end raises ValueError."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def u8(self):
        if self.pos >= len(self.data):
            raise ValueError("truncated")
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self):
        v = shift = 0
        while shift < 64:
            b = self.u8()
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7
        raise ValueError("varint too long")

    def take(self, n):
        if n > len(self.data) - self.pos:
            raise ValueError("truncated")
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def text(self):
        return self.take(self.varint()).decode("utf-8", errors="replace")

    def value(self):
        tag = self.u8()
        if tag == 0:
            return None
        if tag == 1:
            z = self.varint()
            return (z >> 1) ^ -(z & 1)  # zigzag
        if tag == 2:
            return struct.unpack("<d", self.take(8))[0]
        if tag == 3:
            return self.u8() != 0
        if tag == 4:
            return self.text()
        raise ValueError("unknown value tag %d" % tag)


def decode_payload(payload):
    """Decodes a record payload (docs/payload.md) into a dict without ts, kind and instance.
    Raises ValueError for a truncated, malformed or newer-version payload."""
    b = _Bytes(payload)
    if b.u8() != PAYLOAD_VERSION:
        raise ValueError("unsupported payload version")
    r = {"sev": b.u8(), "mtype": b.u8(), "flags": b.u8(), "source": b.text(), "name": b.text()}
    r["value"] = b.value()
    n = b.varint()
    if n > len(payload):
        raise ValueError("field count too large")
    r["fields"] = [(b.text(), b.value()) for _ in range(n)]
    if b.pos != len(payload):
        raise ValueError("trailing bytes")
    return r


def _json_number(v):
    # JSON has no word for NaN or infinity: the C++ writer prints null, so does this reader.
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _as_record(ts, kind, instance, p):
    """A decoded payload as the dict `introspect query -o jsonl` prints for it."""
    r = {"ts": format_ts(ts), "kind": KINDS.get(kind, "unknown"), "instance": instance,
         "source": p["source"], "name": p["name"]}
    if kind in (3, 4):
        r["severity"] = SEVERITIES[p["sev"]] if p["sev"] < 6 else "unknown"
    if p["mtype"] != 0:
        r["type"] = METRIC_TYPES[p["mtype"]] if p["mtype"] < 4 else "unknown"
    if p["value"] is not None:
        r["value"] = _json_number(p["value"])
    if p["fields"]:
        r["fields"] = {k: _json_number(v) for k, v in p["fields"]}
    if p["flags"] & FLAG_TABLE:
        r["table"] = True
    r["ts_ns"] = ts
    return r


def _envelope(data, magic):
    """The payload of a checksummed control file, or None."""
    if len(data) < ENVELOPE_HEADER or data[:8] != magic:
        return None
    version, length, pcrc, hcrc = struct.unpack_from("<IIII", data, 8)
    if crc32c(data[:20]) != hcrc or version != FORMAT_VERSION:
        return None
    if len(data) != ENVELOPE_HEADER + length or crc32c(data[ENVELOPE_HEADER:]) != pcrc:
        return None
    return data[ENVELOPE_HEADER:]


class Store:
    """One or more stores read as one: stream stores and tiny-tier JSON-lines files."""

    def __init__(self, *paths):
        self.paths = [os.fspath(p) for p in paths]
        self.damage = []  # Damage, in the order found
        for p in self.paths:
            if not os.path.exists(p):
                raise FileNotFoundError("STORE \"%s\": no such file or directory" % p)

    # -- layout ---------------------------------------------------------------------------
    @staticmethod
    def _is_scope(d):
        return os.path.isfile(os.path.join(d, ".scope"))

    def streams(self):
        """(scope, stream, directory) of every stream of the stream stores given."""
        out = []
        for p in self.paths:
            if not os.path.isdir(p):
                continue
            scopes = [p] if self._is_scope(p) else sorted(
                os.path.join(p, s) for s in os.listdir(p)
                if not s.startswith(".") and self._is_scope(os.path.join(p, s)))
            for sd in scopes:
                for st in sorted(os.listdir(sd)):
                    d = os.path.join(sd, st)
                    if not st.startswith(".") and os.path.isdir(d) and not os.path.islink(d):
                        out.append((os.path.basename(sd), st, d))
        return out

    def _jsonl_files(self):
        files = []
        for p in self.paths:
            if os.path.isfile(p):
                files.append(p)
            elif os.path.isdir(p) and not self._is_scope(p) and not any(
                    self._is_scope(os.path.join(p, s)) for s in os.listdir(p)):
                files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".jsonl"))
        return files

    # -- reading ------------------------------------------------------------------------
    def records(self):
        """Every record, stream after stream (each stream in its stored order)."""
        for scope, _, d in self.streams():
            yield from self._stream_records(scope, d)
        for f in self._jsonl_files():
            yield from self._jsonl_records(f)

    def _truncation(self, d):
        """(offset, ts) below which records are gone; None when both copies are unreadable."""
        present = False
        for name in (".truncation", ".truncation.copy"):
            p = os.path.join(d, name)
            if not os.path.exists(p):
                continue
            present = True
            with open(p, "rb") as f:
                body = _envelope(f.read(), TRUNC_MAGIC)
            if body is not None and len(body) == 16:
                return struct.unpack("<Qq", body)
        return None if present else (0, -(1 << 63))

    def _stream_records(self, scope, d):
        trunc = self._truncation(d)
        if trunc is None:
            # Fail closed, as the C++ reader does: records a user truncated away stay hidden.
            self.damage.append(Damage(d, 0, "truncation point unreadable; stream skipped"))
            return
        segs = sorted(f for f in os.listdir(d)
                      if f.startswith("segment-") and f.endswith(".log") and len(f) == 32
                      and f[8:28].isdigit())
        for i, name in enumerate(segs):
            yield from self._segment_records(scope, os.path.join(d, name), int(name[8:28]),
                                             i + 1 < len(segs), trunc)

    def _frame_at(self, data, pos):
        """The frame header at `pos` if a whole, checksum-valid frame is there."""
        if len(data) - pos < FRAME_HEADER:
            return None
        length, crc, ts, kind, flags, reserved = struct.unpack_from("<IIqBBH", data, pos)
        if reserved != 0 or length > MAX_PAYLOAD or pos + FRAME_HEADER + length > len(data):
            return None
        if crc32c(data[pos + 8:pos + FRAME_HEADER + length]) != crc:
            return None
        return length, ts, kind

    @staticmethod
    def _why(data, pos):
        if len(data) - pos < FRAME_HEADER:
            return "truncated frame header"
        length, _, _, _, _, reserved = struct.unpack_from("<IIqBBH", data, pos)
        if reserved != 0 or length > MAX_PAYLOAD:
            return "implausible frame header"
        if pos + FRAME_HEADER + length > len(data):
            return "frame extends past end of file"
        return "frame checksum mismatch"

    def _segment_records(self, scope, path, first, sealed, trunc):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) >= SEGMENT_HEADER:
            h = data[:SEGMENT_HEADER]
            ok = (h[:8] == SEGMENT_MAGIC and crc32c(h[:28]) == struct.unpack_from("<I", h, 28)[0]
                  and struct.unpack_from("<IIQ", h, 8) == (FORMAT_VERSION, SEGMENT_HEADER, first))
            if not ok:
                self.damage.append(Damage(path, 0, "bad segment header"))
        pos = SEGMENT_HEADER
        while pos < len(data):
            fr = self._frame_at(data, pos)
            if fr is None:
                q = pos + 1
                while q + FRAME_HEADER <= len(data) and self._frame_at(data, q) is None:
                    q += 1
                if q + FRAME_HEADER > len(data):  # no valid frame after: the tail
                    if sealed:
                        self.damage.append(Damage(path, pos,
                                                  "incomplete frame at end of sealed segment"))
                    return
                self.damage.append(Damage(path, pos, "%s (%d bytes skipped)"
                                          % (self._why(data, pos), q - pos)))
                pos = q
                continue
            length, ts, kind = fr
            offset = first + pos - SEGMENT_HEADER
            payload = data[pos + FRAME_HEADER:pos + FRAME_HEADER + length]
            pos += FRAME_HEADER + length
            if offset < trunc[0] or ts < trunc[1]:
                continue
            try:
                p = decode_payload(payload)
            except (ValueError, IndexError):
                self.damage.append(Damage(path, offset, "record at stream offset %d: payload does "
                                          "not decode (%d bytes)" % (offset, length)))
                continue
            yield _as_record(ts, kind, scope, p)

    def _jsonl_records(self, path):
        with open(path, "rb") as f:
            for number, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                try:
                    r = json.loads(raw)
                    if not isinstance(r, dict) or "ts" not in r or "kind" not in r:
                        raise ValueError("not a record (needs ts and kind)")
                except ValueError as e:
                    self.damage.append(Damage(path, 0, "malformed line: %s" % e, number))
                    continue
                yield r


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    keep_all = "--all" in argv
    if not args:
        print("usage: introspect_reader.py STORE... [--all]", file=sys.stderr)
        return 2
    try:
        store = Store(*args)
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        return 2
    out = sys.stdout
    for r in store.records():
        if not keep_all and (r["kind"] == "meta" or r.get("table")):
            continue  # hidden by default, as `introspect query` hides them
        r.pop("ts_ns", None)
        out.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    for d in store.damage:
        print(d, file=sys.stderr)
    if store.damage:
        print("%d damaged ranges skipped" % len(store.damage), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
