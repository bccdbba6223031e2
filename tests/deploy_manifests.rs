//! The manifests under `deploy/` agree with the code (docker and a cluster cannot run here, so
//! their structure is what is tested): every container's arguments parse as an `lviz` command
//! line; the ports it listens on (its flags, else the code's defaults) are the ports it
//! declares, its Service targets and its probes use; the probe paths are routes of the admin
//! face; the metrics-api drop-in keeps the names, labels, port names and ServiceAccount that
//! linkerd-viz's Server/AuthorizationPolicy and clients expect; the Dockerfile exposes the
//! default ports and runs the binary it builds.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use clap::{CommandFactory, Parser};
use serde_yaml_ng::Value;
use tower::ServiceExt;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn documents(file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{ROOT}/deploy/{file}")).unwrap_or_else(|e| panic!("{file}: {e}"));
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{file}: {e}")))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn find<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

/// The default of a `serve` flag, from the code's own clap definition.
fn serve_default(id: &str) -> String {
    let cli = lviz::Cli::command();
    let serve = cli.find_subcommand("serve").expect("serve command");
    let arg = serve.get_arguments().find(|a| a.get_id() == id).unwrap_or_else(|| panic!("no flag {id}"));
    arg.get_default_values()[0].to_string_lossy().into_owned()
}

fn port_of(addr: &str) -> Option<u16> {
    (addr != "off").then(|| addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("IP:PORT"))
}

/// The faces a container listens on (flag, else default): gRPC, JSON, admin.
fn listens(args: &[String]) -> BTreeMap<&'static str, Option<u16>> {
    let flag = |name: &str, id: &str| {
        let value = args.iter().find_map(|a| a.strip_prefix(&format!("{name}="))).map(str::to_string);
        port_of(&value.unwrap_or_else(|| serve_default(id)))
    };
    [
        ("grpc", flag("--grpc-addr", "grpc_addr")),
        ("json", flag("--addr", "addr")),
        ("admin", flag("--admin-addr", "admin_addr")),
    ]
    .into_iter()
    .collect()
}

/// Checks one Deployment's container against the code, returning its named ports and faces.
fn check_container(deploy: &Value) -> (BTreeMap<String, u16>, BTreeMap<&'static str, Option<u16>>) {
    let container = &deploy["spec"]["template"]["spec"]["containers"][0];
    let args: Vec<String> =
        container["args"].as_sequence().expect("args").iter().map(|a| text(a).to_string()).collect();
    let argv = std::iter::once("lviz".to_string()).chain(args.iter().cloned());
    let parsed = lviz::Cli::try_parse_from(argv);
    assert!(parsed.is_ok(), "{args:?} do not parse: {}", parsed.err().map(|e| e.to_string()).unwrap_or_default());
    assert!(args.iter().any(|a| a == "serve"), "{args:?}");
    let ports: BTreeMap<String, u16> = container["ports"]
        .as_sequence()
        .expect("ports")
        .iter()
        .map(|p| (text(&p["name"]).to_string(), p["containerPort"].as_u64().expect("port") as u16))
        .collect();
    let faces = listens(&args);
    let declared: Vec<u16> = ports.values().copied().collect();
    for (face, port) in &faces {
        if let Some(port) = port {
            assert!(declared.contains(port), "{face} listens on {port}, not declared in {ports:?}");
        }
    }
    let admin = faces["admin"].expect("the admin face is on: the probes need it");
    for (probe, path) in [("readinessProbe", "/ready"), ("livenessProbe", "/ping")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(text(&get["path"]), path, "{probe}");
        assert_eq!(ports.get(text(&get["port"])), Some(&admin), "{probe} must use the admin port");
    }
    for resource in ["cpu", "memory"] {
        assert!(container["resources"]["requests"][resource].is_string(), "no {resource} request");
    }
    (ports, faces)
}

#[test]
fn the_metrics_api_drop_in_keeps_what_linkerd_viz_expects() {
    let docs = documents("metrics-api.yaml");
    let deploy = find(&docs, "Deployment", "metrics-api");
    let labels = [("linkerd.io/extension", "viz"), ("component", "metrics-api")];
    assert_eq!(deploy["metadata"]["namespace"], "linkerd-viz");
    for at in [&deploy["spec"]["selector"]["matchLabels"], &deploy["spec"]["template"]["metadata"]["labels"]] {
        for (k, v) in labels {
            assert_eq!(at[k], v, "label {k} at {at:?}");
        }
    }
    let pod = &deploy["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "metrics-api");
    assert_eq!(pod["containers"][0]["name"], "metrics-api");
    let (ports, faces) = check_container(deploy);
    // linkerd-viz's Server selects the port named `http`: it must be the gRPC port, 8085.
    assert_eq!(faces["grpc"], Some(8085));
    assert_eq!(ports.get("http"), Some(&8085));
    assert_eq!(ports.get("admin-http"), Some(&9995));
    assert_eq!(faces["admin"], Some(9995), "Linkerd's admin port");

    let service = find(&docs, "Service", "metrics-api");
    for (k, v) in labels {
        assert_eq!(service["spec"]["selector"][k], v);
    }
    let port = &service["spec"]["ports"][0];
    assert_eq!(
        (port["name"].as_str(), port["port"].as_u64(), port["targetPort"].as_u64()),
        (Some("http"), Some(8085), Some(8085))
    );

    // The ServiceAccount's role lets it watch what the server caches.
    let binding = docs.iter().find(|d| d["kind"] == "ClusterRoleBinding").expect("binding");
    assert_eq!(binding["subjects"][0]["name"], "metrics-api");
    assert_eq!(binding["subjects"][0]["namespace"], "linkerd-viz");
    let role = find(&docs, "ClusterRole", text(&binding["roleRef"]["name"]));
    let grants = |resource: &str| {
        role["rules"].as_sequence().expect("rules").iter().any(|r| {
            r["resources"].as_sequence().is_some_and(|rs| rs.iter().any(|x| x == resource))
                && ["get", "list", "watch"]
                    .iter()
                    .all(|v| r["verbs"].as_sequence().is_some_and(|vs| vs.iter().any(|x| x == v)))
        })
    };
    for resource in ["pods", "services", "namespaces", "replicasets", "deployments", "jobs", "serviceprofiles"] {
        assert!(grants(resource), "no get/list/watch on {resource}");
    }
}

#[test]
fn the_standalone_manifest_exposes_every_face() {
    let docs = documents("lviz-serve.yaml");
    let deploy = find(&docs, "Deployment", "lviz");
    let (ports, faces) = check_container(deploy);
    assert_eq!(faces["grpc"], port_of(&serve_default("grpc_addr")));
    let service = find(&docs, "Service", "lviz");
    for p in service["spec"]["ports"].as_sequence().expect("ports") {
        let target = ports.get(text(&p["targetPort"])).expect("a named container port");
        assert_eq!(p["port"].as_u64(), Some(u64::from(*target)));
    }
}

#[test]
fn the_dockerfile_builds_the_binary_and_exposes_the_default_ports() {
    let text = std::fs::read_to_string(format!("{ROOT}/deploy/Dockerfile")).expect("Dockerfile");
    let line = |word: &str| text.lines().find(|l| l.starts_with(word)).unwrap_or_else(|| panic!("no {word}"));
    let exposed: Vec<u16> = line("EXPOSE ").split_whitespace().skip(1).map(|p| p.parse().expect("port")).collect();
    for id in ["grpc_addr", "addr", "admin_addr"] {
        let port = port_of(&serve_default(id)).expect("on by default");
        assert!(exposed.contains(&port), "{id}'s default port {port} is not exposed: {exposed:?}");
    }
    assert!(text.contains("cargo build --release --locked --bin lviz"));
    let copied = line("COPY --from=build").split_whitespace().last().expect("destination").to_string();
    assert_eq!(line("ENTRYPOINT "), format!("ENTRYPOINT [\"{copied}\"]"));
}

/// The probes' paths are routes of the admin face (here with a Prometheus nothing listens on:
/// `/ping` is still 200, `/ready` says why not, neither is 404).
#[tokio::test]
async fn the_probe_paths_are_admin_routes() {
    use lviz_engine::coalesce::{CoalesceOptions, Coalescing};
    use lviz_engine::{Engine, EngineSettings, serving::Serving};
    let config = lviz_prom::PromConfig {
        url: "http://127.0.0.1:1/".into(),
        timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let prom = Arc::new(lviz_prom::PromClient::new(&config).expect("client"));
    let metrics = Arc::new(Coalescing::new(prom, CoalesceOptions::default()));
    let serving = Serving::new(Engine::prometheus_only(metrics.clone(), EngineSettings::default()), metrics, None);
    let options = lviz_http::server::ServeOptions {
        addr: None,
        access_log: false,
        max_concurrent_queries: 1,
        cache: None,
        handler_timeout: Duration::from_secs(5),
        limits: lviz_http::server::ServeLimits::default(),
    };
    let app = lviz_http::server::admin_router(lviz_http::server::AppState::new(serving, &options));
    let get = |path: &str| Request::get(path).body(Body::empty()).expect("request");
    let ping = app.clone().oneshot(get("/ping")).await.expect("answer");
    assert_eq!(ping.status(), StatusCode::OK);
    let ready = app.clone().oneshot(get("/ready")).await.expect("answer");
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let other = app.oneshot(get("/api/v1/stat")).await.expect("answer");
    assert_eq!(other.status(), StatusCode::NOT_FOUND, "the admin face serves no API");
}
