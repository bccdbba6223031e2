//! Fault catalog: it covers every fault issue 17 names, its names are unique, and what each
//! case does on the wire agrees with what lviz is expected to do about it (a case expected to
//! fail promptly never stalls, one expected to answer answers a complete, valid document).

mod fault_client;

use std::collections::HashSet;
use std::time::Duration;

use lviz_testkit::faults::{Backend, Expect, Fault, FaultCase, TlsCert, huge_answer, huge_error};
use serde_json::Value;

fn names(backend: Backend) -> HashSet<String> {
    Fault::catalog_for(backend).into_iter().map(|c| c.name).collect()
}

#[test]
fn names_are_unique_and_cover_the_issue() {
    let mut common: Vec<String> = [
        "refused",
        "hangup",
        "silence",
        "stall-headers",
        "stall-body",
        "stall-mid-body",
        "drip",
        "short-body",
        "reset-mid-body",
        "not-json",
        "truncated-json",
        "empty-200",
        "gzip-with-encoding",
        "gzip-without-encoding",
        "control-chars-error",
        "control-chars-html",
        "long-error-line",
        "redirect-loop",
        "echo-credentials",
        "huge-answer",
        "huge-error",
        "status-429-retry-after-3600",
        "status-503-retry-after-3600",
    ]
    .map(String::from)
    .to_vec();
    for code in [401, 403, 404, 429, 500, 502, 503] {
        common.extend(["html", "empty"].map(|kind| format!("status-{code}-{kind}")));
    }
    let tls: Vec<String> = TlsCert::ALL.iter().map(|c| c.name().to_string()).collect();
    let prometheus = ["result-matrix", "result-scalar", "result-string", "samples-nan", "samples-plus-inf"]
        .into_iter()
        .chain(["samples-minus-inf", "samples-missing-labels", "status-500-envelope", "status-503-status"]);
    let kube = ["endless-pages", "repeated-continue", "gone-on-continue", "watch-stall", "status-404-status"];
    let api = ["neither-ok-nor-error", "ok-null", "ok-array", "status-500-api-error"];
    let wanted: [(Backend, Vec<String>); 3] = [
        (Backend::Prometheus, prometheus.map(String::from).chain(tls.clone()).collect()),
        (Backend::Kube, kube.map(String::from).into_iter().chain(tls).collect()),
        (Backend::MetricsApi, api.map(String::from).to_vec()),
    ];
    for (backend, specific) in wanted {
        let cases = Fault::catalog_for(backend);
        let have = names(backend);
        assert_eq!(have.len(), cases.len(), "{}: duplicate names", backend.name());
        for name in common.iter().chain(&specific) {
            assert!(have.contains(name), "{} lacks {name}", backend.name());
        }
    }
}

#[test]
fn tls_cases_trust_what_go_trusts() {
    for backend in [Backend::Prometheus, Backend::Kube] {
        for case in Fault::catalog_for(backend).into_iter().filter(|c| c.name.starts_with("tls-")) {
            let cert = case.plan.tls_cert().expect("a TLS case serves TLS");
            let answers = matches!(cert, TlsCert::Valid | TlsCert::SelfSignedCa | TlsCert::SelfSignedLeafAsCa);
            assert_eq!(case.expect == Expect::Answers, answers, "{}", case.id());
        }
    }
}

#[test]
fn generated_bodies_are_valid_documents() {
    for backend in Backend::ALL {
        let answer: Value = serde_json::from_slice(&huge_answer(backend, 100_000).to_vec()).expect("answer JSON");
        let items = match backend {
            Backend::Prometheus => &answer["data"]["result"],
            Backend::Kube => &answer["items"],
            Backend::MetricsApi => &answer["ok"]["stat_tables"][0]["pod_group"]["rows"],
        };
        assert!(items.as_array().expect("array").len() > 100, "{}", backend.name());
        let error: Value = serde_json::from_slice(&huge_error(backend, 100_000).to_vec()).expect("error JSON");
        let message = [&error["error"], &error["message"], &error["error"]["error"]]
            .into_iter()
            .find_map(|v| v.as_str())
            .expect("a message");
        assert!(message.len() > 99_000, "{}", backend.name());
    }
}

/// What one request to a case's server got within the probe's time.
#[derive(Debug, PartialEq)]
enum Wire {
    /// Nothing complete arrived in time.
    Timeout,
    /// Connection refused, reset, cut short, or a redirect loop.
    Broken,
    Status(u16),
    /// 200 with a complete, valid answer of the backend.
    Valid,
    /// 200 with anything else.
    Invalid,
}

async fn probe(case: &FaultCase, client: &reqwest::Client) -> Wire {
    let server = case.start().await.expect("start");
    let url = server.url();
    let request = match case.backend {
        Backend::Prometheus => client
            .post(format!("{url}/api/v1/query"))
            .form(&[("query", "sum(rate(request_total[1m])) by (namespace, deployment)")]),
        Backend::Kube => client.get(format!("{url}/api/v1/namespaces/emojivoto/pods?limit=500")),
        Backend::MetricsApi => {
            client.post(format!("{url}/api/v1/stat")).json(&serde_json::json!({"resource_type": "pod"}))
        }
    };
    let result = match request.send().await {
        Ok(resp) if resp.status() != 200 => return Wire::Status(resp.status().as_u16()),
        Ok(resp) => resp.bytes().await,
        Err(e) => Err(e),
    };
    let body = match result {
        Ok(body) => body,
        Err(e) if e.is_timeout() => return Wire::Timeout,
        Err(_) => return Wire::Broken,
    };
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let valid = match case.backend {
        Backend::Prometheus => json["status"] == "success" && json["data"]["resultType"] == "vector",
        // A complete list: no further page promised.
        Backend::Kube => json["items"].is_array() && json["metadata"]["continue"].is_null(),
        Backend::MetricsApi => json["ok"]["stat_tables"].is_array(),
    };
    if valid { Wire::Valid } else { Wire::Invalid }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_case_behaves_as_its_expectation_implies() {
    let cases: Vec<FaultCase> = Backend::ALL
        .into_iter()
        .flat_map(Fault::catalog_for)
        .filter(|c| !c.heavy && c.plan.tls_cert().is_none())
        .collect();
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(2)).build().expect("client");
    let wires = futures_util::future::join_all(cases.iter().map(|c| probe(c, &client))).await;
    let mut wrong = Vec::new();
    for (case, wire) in cases.iter().zip(&wires) {
        let agrees = match case.expect {
            Expect::Answers => *wire == Wire::Valid,
            Expect::Fails => !matches!(wire, Wire::Valid | Wire::Timeout),
            Expect::FailsByDeadline => *wire != Wire::Valid,
            Expect::AnswersOrFails => *wire != Wire::Timeout,
        };
        if !agrees {
            wrong.push(format!("{} ({:?}): {wire:?}", case.id(), case.expect));
        }
    }
    assert!(wrong.is_empty(), "cases whose wire behaviour contradicts their expectation:\n{}", wrong.join("\n"));
    // The stalls really stall.
    let stalled = cases.iter().zip(&wires).filter(|(_, w)| **w == Wire::Timeout).count();
    assert!(stalled >= 3 * 5, "{stalled}");
}
