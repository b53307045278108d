#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/ (checked in; rerun after a format change).

Each seed is a small, valid input of its parser, so that fuzzing starts from the structure
(checksummed frames, JSON objects, YAML) instead of having to discover it.
"""
import json
import os
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def varint(v: int) -> bytes:
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(v: int) -> int:
    return ((v << 1) ^ (v >> 63)) & 0xFFFFFFFFFFFFFFFF


def string(s: bytes) -> bytes:
    return varint(len(s)) + s


def value(v) -> bytes:
    # docs/format.md: tag 0 none, 1 integer (zigzag varint), 2 real (8 bytes LE), 3 bool, 4 string
    if v is None:
        return b"\x00"
    if isinstance(v, bool):
        return b"\x03" + (b"\x01" if v else b"\x00")
    if isinstance(v, int):
        return b"\x01" + varint(zigzag(v))
    if isinstance(v, float):
        return b"\x02" + struct.pack("<d", v)
    return b"\x04" + string(v.encode())


def payload(sev=1, mtype=0, flags=0, source=b"demo", name=b"controller.requests", val=None,
            fields=()) -> bytes:
    out = bytes([1, sev, mtype, flags]) + string(source) + string(name) + value(val)
    out += varint(len(fields))
    for k, v in fields:
        out += string(k.encode()) + value(v)
    return out


def frame(ts: int, kind: int, body: bytes, flags=0) -> bytes:
    rest = struct.pack("<qBBH", ts, kind, flags, 0) + body
    return struct.pack("<II", len(body), crc32c(rest)) + rest


def segment(first: int, frames) -> bytes:
    head = b"IXSTSEG\x00" + struct.pack("<IIQI", 1, 32, first, 0)
    return head + struct.pack("<I", crc32c(head)) + b"".join(frames)


def put(target: str, name: str, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


T0 = 1767225600 * 10**9  # 2026-01-01T00:00:00Z

PAYLOADS = {
    "counter": payload(mtype=1, val=42),
    "gauge": payload(mtype=2, name=b"segmentstore.cache.bytes", val=1234.5),
    "state": payload(name=b"container/3", val="RECOVERING"),
    "notification": payload(sev=3, name=b"disk nearly full", fields=[("disk", "sdb"), ("pct", 91)]),
    "fields": payload(name=b"DiskHealth", fields=[("ok", True), ("x", None), ("r", -0.5),
                                                  ("n", -(2**63))]),
}


def main():
    for name, p in PAYLOADS.items():
        put("record_payload", name, p)
    frames = [frame(T0 + i * 10**6, k, p) for i, (k, p) in
              enumerate(zip([2, 2, 1, 3, 5], PAYLOADS.values()))]
    # flags byte first (see segment.cpp): 0 raw, 1 repair checksums, 2 two segments, 4 recover
    seg = segment(0, frames)
    put("segment", "one", b"\x00" + seg)
    put("segment", "repair_recover", b"\x05" + seg)
    put("segment", "torn_tail", b"\x04" + seg[:-7])
    put("segment", "damaged_middle", b"\x00" + seg[:60] + b"\xff" * 9 + seg[69:])
    first = segment(0, frames[:2])
    second = segment(len(first) - 32, frames[2:])
    # FuzzedDataProvider's random-length string: backslash-escaped, ends at "\\" + other byte.
    put("segment", "two", b"\x06" + first.replace(b"\\", b"\\\\") + b"\\x" + second)

    lines = [
        {"ts": "2026-01-01T00:00:00.000000001Z", "kind": "metric", "instance": "node-1",
         "source": "demo", "name": "controller.requests", "type": "counter", "value": 42},
        {"ts": "2026-01-01T00:00:01Z", "kind": "state", "instance": "node-1", "source": "demo",
         "name": "container/3", "value": "RECOVERING"},
        {"ts": "2026-01-01T00:00:02+01:00", "kind": "notification", "instance": "n",
         "source": "demo", "name": "disk nearly full", "severity": "warning",
         "fields": {"disk": "sdb", "pct": 91.5, "ok": False, "x": None, "nested": [1, {"a": 2}]}},
        {"ts": "2026-01-01 00:00:03Z", "kind": "state", "name": "t", "table": True,
         "value": 18446744073709551615},
    ]
    put("jsonl", "records", "\n".join(json.dumps(l) for l in lines) + "\n")
    put("jsonl", "truncated", json.dumps(lines[0])[:40])

    for i, w in enumerate([
            "value > 100 and (fields.disk == 'sdb' or not name ~ 'cache.*')",
            "ts > '2026-01-01T00:00:00Z' and ts < 15m",
            "severity >= warning || kind == \"state\"",
            "fields.n != 1e30 and value <= -3.5 and source !~ 'd*'",
            "!(instance = node-1) && fields.missing",
            "value <> true"]):
        put("where", f"expr{i}", w)

    for i, t in enumerate(["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.123456789+05:30",
                           "2026-02-28 23:59:60-00:01", "1678-01-01T00:00:00Z",
                           "2261-12-31T23:59:59.999999999Z", "2026-01-01", "1h30m", "1.5s",
                           "500ms", "7d", "2w", "now", "@1767225600.5", "@-86400",
                           "2026-01-01 10:00", "2026-01-01T10:00:00", "-15m"]):
        put("time_arg", f"t{i}", t)

    rules = {"version": 1, "options": {"period": "1s", "update_min_periods": 2,
                                       "update_delta": 0.1},
             "rules": [
                 {"name": "disk-full", "type": "threshold", "severity": "error",
                  "message": "{subject} at {value}", "params": {"metric": "disk.*", "above": 90,
                                                                 "for": "10s"}},
                 {"name": "flap", "type": "flapping", "params": {"state": "container/*"}},
                 {"name": "burst", "type": "burst", "params": {}},
                 {"name": "rate", "type": "rate", "params": {"metric": "requests"}}]}
    put("rules_file", "rules.json", json.dumps(rules, indent=1))
    default_rules = os.path.join(os.path.dirname(ROOT), "..", "tests", "scenarios", "scenario_rules.json")
    if os.path.exists(default_rules):
        with open(default_rules, "rb") as f:
            put("rules_file", "scenario_rules.json", f.read())

    kube = """apiVersion: v1
kind: Config
current-context: default
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority: ca.crt
    insecure-skip-tls-verify: false
contexts:
- name: default
  context:
    cluster: local
    user: admin
    namespace: "prod"   # comment
users:
- name: admin
  user:
    token: 'abc''def'
    client-certificate-data: QUJD
    client-key-data: REVG
preferences: {}
extensions: []
"""
    put("kubeconfig", "config", kube)
    put("kubeconfig", "anonymous", kube.split("users:")[0].replace("    user: admin\n", ""))

    meta = {"name": "web", "namespace": "prod", "resourceVersion": "17", "generation": 3}
    deploy = {"kind": "Deployment", "metadata": meta,
              "spec": {"replicas": 3},
              "status": {"replicas": 3, "readyReplicas": 2, "availableReplicas": 2,
                         "observedGeneration": 3,
                         "conditions": [{"type": "Available", "status": "True"},
                                        {"type": "Progressing", "status": "False"}]}}
    pod = {"metadata": {"name": "web-0", "namespace": "prod", "resourceVersion": "18"},
           "status": {"phase": "Running",
                      "containerStatuses": [{"name": "app", "ready": True, "restartCount": 4,
                                             "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
                      "conditions": [{"type": "Ready", "status": "False"}]}}
    lst = {"kind": "DeploymentList", "metadata": {"resourceVersion": "20", "continue": ""},
           "items": [deploy, {"metadata": {"name": "db"}, "status": {"phase": "Bound"}}]}
    put("kubernetes", "list_deployments", b"\x00" + json.dumps(lst).encode())
    put("kubernetes", "list_pods", b"\x02" + json.dumps({"kind": "PodList", "metadata": {
        "resourceVersion": "5"}, "items": [pod]}).encode())
    events = [{"type": "ADDED", "object": deploy},
              {"type": "MODIFIED", "object": dict(deploy, status={"readyReplicas": 0})},
              {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "30"}}},
              {"type": "DELETED", "object": deploy},
              {"type": "ERROR", "object": {"code": 410, "message": "too old"}}]
    put("kubernetes", "watch_deployments", b"\x80" + "\n".join(json.dumps(e) for e in events).encode())
    put("kubernetes", "watch_pods", b"\x82" + json.dumps({"type": "ADDED", "object": pod}).encode())

    kv = {"key": "L3Byb2R1Y3QvYQ==", "value": "MQ==", "create_revision": "5",
          "mod_revision": "7", "version": "2", "lease": "0"}
    put("etcd", "range", json.dumps({"header": {"revision": "9"}, "kvs": [kv], "more": True,
                                     "count": "3"}))
    put("etcd", "watch", "\n".join(json.dumps(m) for m in [
        {"result": {"header": {"revision": "9"}, "created": True, "watch_id": "1"}},
        {"result": {"header": {"revision": "10"}, "events": [{"kv": kv},
                                                             {"type": "DELETE", "kv": kv}]}},
        {"result": {"canceled": True, "compact_revision": "4", "cancel_reason": "compacted"}},
        {"error": {"grpc_code": 14, "message": "unavailable"}}]))
    put("etcd", "token", json.dumps({"header": {"revision": 3}, "token": "abc.def"}))
    put("etcd", "error", json.dumps({"error": "etcdserver: user name is empty", "code": 3,
                                     "message": "etcdserver: user name is empty"}))

    def fdp_string(s: bytes) -> bytes:
        return s.replace(b"\\", b"\\\\") + b"\\x"

    put("jetstream", "message", fdp_string(b"1767225600000000000 2 0") +
        fdp_string(b"node-1/metrics/4096") + fdp_string(b"introspect.node-1.metrics") +
        PAYLOADS["counter"])
    put("jetstream", "escaped", fdp_string(b"-5 7 1") + fdp_string(b"a/b/0") +
        fdp_string(b"introspect.n~C5~93ud.per~2Ekind") + PAYLOADS["fields"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
