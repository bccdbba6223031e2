#!/usr/bin/env python3
"""Soak clients for bench/soak.sh: CLIENTS threads, each with its own keep-alive connection,
POSTing the 1x-mesh stat requests to lviz serve for SECONDS, bounded in time and count. Writes one
line per request to OUT: `<seconds since start> <status>` (status 0: no answer / connection
error). Loopback only. Stdlib only."""
import http.client
import sys
import threading
import time

url, clients, seconds, out_path, at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
host, port = url.removeprefix("http://").split(":")
bodies = [
    '{"resource_type":"deployment","namespace":"scale-000","at":%s}' % at,
    '{"resource_type":"deployment","at":%s}' % at,
    '{"resource_type":"pod","namespace":"scale-001","at":%s}' % at,
]
MAX_REQUESTS_PER_CLIENT = 200_000
start = time.monotonic()
lock = threading.Lock()
records = []


def client(i):
    conn = None
    for n in range(MAX_REQUESTS_PER_CLIENT):
        now = time.monotonic() - start
        if now >= seconds:
            return
        body = bodies[(i + n) % len(bodies)]
        status = 0
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request("POST", "/api/v1/stat", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            status = response.status
        except Exception:
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
        with lock:
            records.append((now, status))


threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(out_path, "w") as out:
    for now, status in sorted(records):
        out.write(f"{now:.3f} {status}\n")
