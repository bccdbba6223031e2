#!/usr/bin/env python3
"""An independent gRPC client of `lviz serve`: Python grpcio with stubs generated here, at run
time, from the project's .proto files (crates/grpc/proto). It calls every method of
linkerd2.viz.Api and lviz.v1.Extensions and checks each answer field by field against the JSON
API's answer to the same request, and stat's numbers against the CLI's `-o json`.

Nothing here shares code with lviz: requests are built from the JSON request dicts by this
file's own mapping, and both answers are read into one canonical shape by its own readers.

Usage (tests/grpc_conformance.rs runs it):
  grpc_conformance.py --grpc HOST:PORT --json http://HOST:PORT --proto DIR --at UNIX --cli JSON_ARGV
Exit 0 when everything agrees; otherwise every difference is printed and the exit code is 1.
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import grpc
import grpc_tools
from grpc_tools import protoc

FAILURES = []
CHECKED = []


def generate_stubs(proto_dir, out_dir):
    """viz_pb2, viz_pb2_grpc, lviz_pb2, lviz_pb2_grpc from the project's .proto files."""
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    args = ["protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}"]
    code = protoc.main(args + [os.path.join(proto_dir, "viz.proto"), os.path.join(proto_dir, "lviz.proto")])
    if code != 0:
        sys.exit(f"protoc failed ({code})")
    sys.path.insert(0, out_dir)
    return [importlib.import_module(m) for m in ("viz_pb2", "viz_pb2_grpc", "lviz_pb2", "lviz_pb2_grpc")]


def post_json(base, path, body):
    """(status, parsed body) of the JSON API."""
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


# --- canonical shapes, read from either side -------------------------------------------------

STATS = ["success_count", "failure_count", "latency_ms_p50", "latency_ms_p95", "latency_ms_p99",
         "actual_success_count", "actual_failure_count"]
TCP = ["open_connections", "read_bytes_total", "write_bytes_total"]


def j_resource(r):
    r = r or {}
    return (r.get("namespace", ""), r.get("type", ""), r.get("name", ""))


def g_resource(msg, field):
    if not msg.HasField(field):
        return ("", "", "")
    r = getattr(msg, field)
    return (r.namespace, r.type, r.name)


def j_numbers(d, keys):
    return None if d is None else tuple(d.get(k, 0) for k in keys)


def g_numbers(msg, field, keys):
    return tuple(getattr(getattr(msg, field), k) for k in keys) if msg.HasField(field) else None


def j_stat(ok):
    return [[(j_resource(r["resource"]), r["time_window"], r["status"], r["meshed_pod_count"], r["running_pod_count"],
              r["failed_pod_count"], r.get("pods_unknown", False), j_numbers(r.get("stats"), STATS),
              j_numbers(r.get("tcp_stats"), TCP)) for r in t["pod_group"]["rows"]] for t in ok["stat_tables"]]


def g_stat(ok):
    return [[(g_resource(r, "resource"), r.time_window, r.status, r.meshed_pod_count, r.running_pod_count,
              r.failed_pod_count, r.pods_unknown, g_numbers(r, "stats", STATS), g_numbers(r, "tcp_stats", TCP))
             for r in t.pod_group.rows] for t in ok.stat_tables]


def j_routes(ok):
    return [(t.get("resource", ""), [(r["route"], r["time_window"], r["authority"], j_numbers(r.get("stats"), STATS))
                                     for r in t["rows"]]) for t in ok["routes"]]


def g_routes(ok):
    return [(t.resource, [(r.route, r.time_window, r.authority, g_numbers(r, "stats", STATS)) for r in t.rows])
            for t in ok.routes]


def j_edges(ok):
    return [(j_resource(e["src"]), j_resource(e["dst"]), e["client_id"], e["server_id"], e["no_identity_msg"],
             e.get("client_id_unknown", False)) for e in ok["edges"]]


def g_edges(ok):
    return [(g_resource(e, "src"), g_resource(e, "dst"), e.client_id, e.server_id, e.no_identity_msg,
             e.client_id_unknown) for e in ok.edges]


GATEWAY = ["namespace", "name", "cluster_name", "paired_services", "alive", "latency_ms_p50", "latency_ms_p95",
           "latency_ms_p99"]


def j_gateways(ok):
    return [tuple(r[k] for k in GATEWAY) + (r.get("paired_services_unknown", False),)
            for r in ok["gateways_table"]["rows"]]


def g_gateways(ok):
    return [tuple(getattr(r, k) for k in GATEWAY) + (r.paired_services_unknown,) for r in ok.gateways_table.rows]


SERVER_STATS = ["allowed_count", "denied_count"]


def j_authz(ok):
    rows = ok["stat_table"]["pod_group"]["rows"]
    return [(j_resource(r["resource"]), r["time_window"], j_numbers(r.get("stats"), STATS),
             j_numbers(r.get("srv_stats"), SERVER_STATS), j_resource(r["srv_stats"].get("srv")),
             j_resource(r["srv_stats"].get("route")), j_resource(r["srv_stats"].get("authz"))) for r in rows]


def g_authz(ok):
    return [(g_resource(r, "resource"), r.time_window, g_numbers(r, "stats", STATS),
             g_numbers(r, "srv_stats", SERVER_STATS), g_resource(r.srv_stats, "srv"), g_resource(r.srv_stats, "route"),
             g_resource(r.srv_stats, "authz")) for r in ok.statTable.pod_group.rows]


OWNERS = {"deployment": "deployment", "replica_set": "replicaset", "replication_controller": "replicationcontroller",
          "stateful_set": "statefulset", "daemon_set": "daemonset", "job": "job"}


def g_millis(msg, field):
    if not msg.HasField(field):
        return None
    d = getattr(msg, field)
    return d.seconds * 1000 + d.nanos // 1_000_000


def j_pods(ok):
    return [(p["name"], p["pod_ip"], p.get("owner_type", ""), p.get("owner_name", ""), p["status"], p["added"],
             p.get("since_last_report_ms"), p["controller_namespace"], p["control_plane"], p.get("uptime_ms"),
             p["proxy_ready"], p["proxy_version"], p["resource_version"]) for p in ok["pods"]]


def g_pods(resp):
    rows = []
    for p in resp.pods:
        member = p.WhichOneof("owner")
        owner = (OWNERS[member], getattr(p, member)) if member else ("", "")
        rows.append((p.name, p.podIP, owner[0], owner[1], p.status, p.added, g_millis(p, "sinceLastReport"),
                     p.controllerNamespace, p.controlPlane, g_millis(p, "uptime"), p.proxyReady, p.proxyVersion,
                     p.resourceVersion))
    return rows


def j_services(ok):
    return [(s["namespace"], s["name"]) for s in ok["services"]]


def g_services(resp):
    return [(s.namespace, s.name) for s in resp.services]


def j_self_check(ok):
    return [(r["subsystem_name"], r["check_description"], r["status"], r["friendly_message_to_user"])
            for r in ok["results"]]


def g_self_check(resp, viz):
    return [(r.SubsystemName, r.CheckDescription, viz.CheckStatus.Name(r.Status), r.FriendlyMessageToUser)
            for r in resp.results]


def j_checks(ok):
    pods = ok.get("pods")
    return (ok.get("proxy_series"), ok.get("scrape_interval_seconds"),
            [(j_resource(e["resource"]), e.get("exists")) for e in ok.get("exist", [])], ok.get("count"),
            None if pods is None else (pods["running"], pods["meshed"]), ok.get("sends"))


def g_checks(ok):
    opt = lambda f: getattr(ok, f) if ok.HasField(f) else None  # noqa: E731
    exist = [(g_resource(e, "resource"), e.exists if e.HasField("exists") else None) for e in ok.exist]
    pods = (ok.pods.running, ok.pods.meshed) if ok.HasField("pods") else None
    return (opt("proxy_series"), opt("scrape_interval_seconds"), exist, opt("count"), pods, opt("sends"))


# --- requests: the JSON request as a protobuf message ----------------------------------------

def resource(viz, ns, kind, name):
    return viz.Resource(namespace=ns, type=kind, name=name)


def selection(viz, req):
    r = resource(viz, req.get("namespace", ""), req.get("resource_type", ""), req.get("resource_name", ""))
    return viz.ResourceSelection(resource=r, label_selector=req.get("label_selector", ""))


def peer(viz, req, side):
    keys = [f"{side}_namespace", f"{side}_resource_type", f"{side}_resource_name"]
    if not any(req.get(k) for k in keys):
        return None
    return resource(viz, *(req.get(k, "") for k in keys))


def stat_request(viz, req):
    msg = viz.StatSummaryRequest(selector=selection(viz, req), time_window=req.get("time_window", ""),
                                 tcp_stats=req.get("tcp_stats", False), skip_stats=req.get("skip_stats", False))
    to, frm = peer(viz, req, "to"), peer(viz, req, "from")
    if to is not None:
        msg.to_resource.CopyFrom(to)
    elif frm is not None:
        msg.from_resource.CopyFrom(frm)
    else:
        msg.none.SetInParent()
    if "at" in req:
        msg.at = req["at"]
    return msg


def routes_request(viz, req):
    msg = viz.TopRoutesRequest(selector=selection(viz, req), time_window=req.get("time_window", ""))
    to = peer(viz, req, "to")
    if to is not None:
        msg.to_resource.CopyFrom(to)
    else:
        msg.none.SetInParent()
    if "at" in req:
        msg.at = req["at"]
    return msg


def with_at(msg, req):
    if "at" in req:
        msg.at = req["at"]
    return msg


# --- comparing --------------------------------------------------------------------------------

def json_outcome(status, body, read):
    if status == 200 and "ok" in body:
        return ("ok", read(body["ok"]))
    message = (body.get("error") or {}).get("error")
    kind = {400: "invalid", 404: "not_found"}.get(status, f"http {status}")
    if status == 200:
        kind = "invalid"
    return (kind, message)


def grpc_outcome(call, read_ok, has_error_field=True):
    try:
        response = call()
    except grpc.RpcError as e:
        kind = {grpc.StatusCode.INVALID_ARGUMENT: "invalid", grpc.StatusCode.NOT_FOUND: "not_found"}.get(
            e.code(), f"grpc {e.code().name}")
        return (kind, e.details())
    if has_error_field:
        which = response.WhichOneof("response")
        if which == "error":
            return ("invalid", response.error.error)
        if which != "ok":
            return ("malformed", None)
        return ("ok", read_ok(response.ok))
    return ("ok", read_ok(response))


def check(name, json_side, grpc_side):
    CHECKED.append(name)
    if json_side != grpc_side:
        FAILURES.append(f"{name}:\n  JSON: {json_side}\n  gRPC: {grpc_side}")
    elif json_side[0] == "ok" and not json_side[1] and "empty" not in name:
        FAILURES.append(f"{name}: both answers are empty; the case proves nothing")


def cli_stat_numbers(cli, args, grpc_ok, window_seconds):
    """stat's numbers as the CLI prints them (-o json) from the gRPC answer's counts."""
    out = subprocess.run(cli + args + ["-o", "json"], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        FAILURES.append(f"CLI {args}: exit {out.returncode}: {out.stderr}")
        return
    printed = {(r["namespace"], r["name"]): r for r in json.loads(out.stdout)}
    for table in grpc_ok.stat_tables:
        for row in table.pod_group.rows:
            key = (row.resource.namespace, row.resource.name)
            if key not in printed:
                continue
            got = printed[key]
            s = row.stats
            total = s.success_count + s.failure_count
            expected = {}
            if row.HasField("stats") and total > 0:
                expected = {"success": s.success_count / total, "rps": total / window_seconds,
                            "latency_ms_p50": s.latency_ms_p50, "latency_ms_p95": s.latency_ms_p95,
                            "latency_ms_p99": s.latency_ms_p99}
                if row.HasField("tcp_stats"):
                    expected["tcp_open_connections"] = row.tcp_stats.open_connections
                    expected["tcp_read_bytes_rate"] = row.tcp_stats.read_bytes_total / window_seconds
                    expected["tcp_write_bytes_rate"] = row.tcp_stats.write_bytes_total / window_seconds
            for k, v in expected.items():
                CHECKED.append(f"CLI {' '.join(args)} {key} {k}")
                if abs(float(got.get(k, float("nan"))) - float(v)) > 1e-6 * max(1.0, abs(float(v))):
                    FAILURES.append(f"CLI {' '.join(args)} {key} {k}: printed {got.get(k)}, gRPC gives {v}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--grpc", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--proto", required=True)
    parser.add_argument("--at", type=float, required=True)
    parser.add_argument("--cli", required=True, help="JSON list: the lviz command line for embedded mode")
    a = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        viz, viz_grpc, ext, ext_grpc = generate_stubs(a.proto, out)
        channel = grpc.insecure_channel(a.grpc)
        api, extensions = viz_grpc.ApiStub(channel), ext_grpc.ExtensionsStub(channel)
        run(a, viz, ext, api, extensions)
    for f in FAILURES:
        print("FAIL", f)
    print(f"{len(CHECKED) - len(FAILURES)} passed, {len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


def run(a, viz, ext, api, extensions):
    at = a.at
    ns = "emojivoto"
    stat_cases = [
        {"resource_type": "deployment", "namespace": ns, "tcp_stats": True},
        {"resource_type": "pod", "namespace": ns, "tcp_stats": True},
        {"resource_type": "deployment", "tcp_stats": True},
        {"resource_type": "all", "namespace": ns},
        {"resource_type": "service", "namespace": ns},
        {"resource_type": "deployment", "resource_name": "web", "namespace": ns,
         "from_resource_type": "deployment", "from_resource_name": "vote-bot", "from_namespace": ns},
        {"resource_type": "deployment", "resource_name": "web", "namespace": ns,
         "to_resource_type": "deployment", "to_resource_name": "voting", "to_namespace": ns},
        {"resource_type": "pod", "namespace": ns, "label_selector": "app=emoji-svc"},
        {"resource_type": "deployment", "namespace": ns, "skip_stats": True},
        {"resource_type": "deployment", "resource_name": "nope", "namespace": ns},
        {"resource_type": "bogus"},
        {"resource_type": "deployment", "namespace": ns, "time_window": "1s"},
    ]
    for req in stat_cases:
        req = dict(req, at=at)
        check(f"StatSummary {req}", json_outcome(*post_json(a.json, "/api/v1/stat", req), j_stat),
              grpc_outcome(lambda: api.StatSummary(stat_request(viz, req)), g_stat))
    # The same numbers as the CLI prints.
    cli = json.loads(a.cli)
    for args in (["stat", "deploy", "-n", ns], ["stat", "po", "-n", ns], ["stat", "deploy", "-A"]):
        kind = {"deploy": "deployment", "po": "pod"}[args[1]]
        req = {"resource_type": kind, "tcp_stats": True, "at": at, "time_window": "1m"}
        if "-n" in args:
            req["namespace"] = ns
        cli_stat_numbers(cli, args, api.StatSummary(stat_request(viz, req)).ok, 60.0)

    route_cases = [
        {"resource_type": "deployment", "resource_name": "web", "namespace": ns},
        {"resource_type": "deployment", "resource_name": "vote-bot", "namespace": ns,
         "to_resource_type": "service", "to_resource_name": "web-svc", "to_namespace": ns},
        {"resource_type": "deployment", "resource_name": "nope", "namespace": ns},
        {"resource_type": "service", "namespace": ns, "to_resource_type": "deployment"},
    ]
    for req in route_cases:
        req = dict(req, at=at)
        check(f"TopRoutes {req}", json_outcome(*post_json(a.json, "/api/v1/top-routes", req), j_routes),
              grpc_outcome(lambda: api.TopRoutes(routes_request(viz, req)), g_routes))

    for req in ({"resource_type": "deployment"}, {"resource_type": "pod", "namespace": ns},
                {"resource_type": "service"}):
        req = dict(req, at=at)
        message = with_at(viz.EdgesRequest(selector=selection(viz, req)), req)
        check(f"Edges {req}", json_outcome(*post_json(a.json, "/api/v1/edges", req), j_edges),
              grpc_outcome(lambda: api.Edges(message), g_edges))

    for req in ({}, {"remote_cluster_name": "east"}, {"time_window": "1t"}):
        req = dict(req, at=at)
        message = with_at(viz.GatewaysRequest(remote_cluster_name=req.get("remote_cluster_name", ""),
                                              time_window=req.get("time_window", "")), req)
        check(f"Gateways {req}", json_outcome(*post_json(a.json, "/api/v1/gateways", req), j_gateways),
              grpc_outcome(lambda: api.Gateways(message), g_gateways))

    for req in ({"namespace": ns}, {}, {"namespace": ns, "resource_type": "deployment", "resource_name": "web"},
                {"namespace": "Not_A_Namespace"}):
        req = dict(req, at=at)
        sel = viz.ResourceSelection(resource=resource(viz, req.get("namespace", ""), req.get("resource_type", ""),
                                                      req.get("resource_name", "")))
        message = with_at(viz.ListPodsRequest(selector=sel), req)
        check(f"ListPods {req}", json_outcome(*post_json(a.json, "/api/v1/pods", req), j_pods),
              grpc_outcome(lambda: api.ListPods(message), g_pods, has_error_field=False))
    # Upstream's deprecated `namespace` field is still honoured.
    check("ListPods deprecated namespace field",
          json_outcome(*post_json(a.json, "/api/v1/pods", {"namespace": ns, "at": at}), j_pods),
          grpc_outcome(lambda: api.ListPods(with_at(viz.ListPodsRequest(namespace=ns), {"at": at})), g_pods,
                       has_error_field=False))

    for req in ({"namespace": ns}, {}, {"namespace": "empty-ns-that-does-not-exist"}):
        name = "ListServices (empty) " if req.get("namespace", "").startswith("empty") else "ListServices "
        check(f"{name}{req}", json_outcome(*post_json(a.json, "/api/v1/services", req), j_services),
              grpc_outcome(lambda: api.ListServices(viz.ListServicesRequest(namespace=req.get("namespace", ""))),
                           g_services, has_error_field=False))

    check("SelfCheck", json_outcome(*post_json(a.json, "/api/v1/self-check", {}), j_self_check),
          grpc_outcome(lambda: api.SelfCheck(viz.SelfCheckRequest()), lambda r: g_self_check(r, viz),
                       has_error_field=False))

    checks = {"at": at, "proxy_series": True, "scrape_interval": True, "pods_in": "empty-ns",
              "exist": [{"namespace": "", "type": "namespace", "name": "empty-ns"},
                        {"namespace": ns, "type": "deployment", "name": "nope"}],
              "count": {"namespace": "ops", "type": "deployment"},
              "sends": {"namespace": "ops", "type": "deployment", "name": "traffic"}}
    message = ext.ChecksRequest(
        at=at, proxy_series=True, scrape_interval=True, pods_in="empty-ns",
        exist=[resource(viz, "", "namespace", "empty-ns"), resource(viz, ns, "deployment", "nope")],
        count=ext.ObjectCount(namespace="ops", type="deployment"), sends=resource(viz, "ops", "deployment", "traffic"))
    check("Checks", json_outcome(*post_json(a.json, "/api/v1/checks", checks), j_checks),
          grpc_outcome(lambda: extensions.Checks(message), g_checks))

    # Authz: Linkerd's call, answered by lviz's authz view (the JSON API's /api/v1/authz).
    for req in ({"namespace": ns, "resource_type": "deployment", "resource_name": "voting", "time_window": "1m"},
                {"namespace": ns, "resource_type": "deployment", "time_window": "1m"},
                {"namespace": ns, "resource_type": "deployment", "time_window": "5s"},
                {"namespace": ns, "resource_type": "bogus", "time_window": "1m"}):
        req = dict(req, at=at)
        message = with_at(viz.AuthzRequest(resource=resource(viz, ns, req["resource_type"],
                                                              req.get("resource_name", "")),
                                           time_window=req["time_window"]), req)
        check(f"Authz {req}", json_outcome(*post_json(a.json, "/api/v1/authz", req), j_authz),
              grpc_outcome(lambda: api.Authz(message), g_authz))


if __name__ == "__main__":
    main()
