#!/usr/bin/env python3
"""Write an IOC list of N equality indicators (IPv4, domains, URLs, SHA-256,
in equal parts) and a STIX bundle of C complex patterns, deterministically.

    gen_iocs.py OUT_DIR N [C]
"""
import hashlib, json, os, random, sys

out, n = sys.argv[1], int(sys.argv[2])
c = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
os.makedirs(out, exist_ok=True)
rnd = random.Random(7)
path = os.path.join(out, f"iocs-{n}.txt")
if not os.path.exists(path):
    with open(path + ".tmp", "w") as f:
        f.write(f"# {n} synthetic equality IOCs\n")
        for i in range(n):
            k = i % 4
            if k == 0:
                # avoid the workload's 10.x and 203.x/185.x ranges
                f.write(f"100.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}\n" if i < (1 << 24) else f"100.64.{rnd.randrange(256)}.{rnd.randrange(256)}\n")
            elif k == 1:
                f.write(f"ioc{i}.bad-{i % 9973}.example\n")
            elif k == 2:
                f.write(f"http://ioc{i}.bad.example/p/{i}\n")
            else:
                f.write(hashlib.sha256(str(i).encode()).hexdigest() + "\n")
    os.replace(path + ".tmp", path)
objs = []
for i in range(c):
    pat = rnd.choice([
        f"[network-traffic:dst_port = {1024 + i} AND network-traffic:src_ref.value = '198.18.{i % 256}.{i // 256}']",
        f"[domain-name:value LIKE '%.c{i}.example'] AND [ipv4-addr:value = '198.19.{i % 256}.1']",
        f"[url:value MATCHES '^https?://x{i}\\\\.example/']",
        f"[network-traffic:extensions.'http-request-ext'.request_value LIKE '/c{i}/%'] WITHIN 60 SECONDS",
        f"[x509-certificate:serial_number = '{i:08x}'] FOLLOWEDBY [domain-name:value = 'f{i}.example']",
    ])
    objs.append({
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--{hashlib.md5(str(i).encode()).hexdigest()[:8]}-0000-4000-8000-{i:012d}",
        "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
        "pattern": pat, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
    })
with open(os.path.join(out, f"complex-{c}.json"), "w") as f:
    json.dump({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objs}, f)
print(path)
