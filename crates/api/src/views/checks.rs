//! `POST /api/v1/checks` (lviz extension): the facts lviz's empty-result hints are derived from,
//! checked where the backends are, so a CLI in remote mode gets the same hints as one that
//! queries Prometheus and Kubernetes itself. Each answer is `None` when it was not asked for or
//! could not be checked: a hint is only ever derived from a check that ran.

use serde::{Deserialize, Serialize};

use crate::endpoint::endpoint;
use crate::resource::ResourceKind;
use crate::rows::Resource;
use crate::validate::{canonical_kind, check_at};
use crate::{names, selector};

endpoint! {
    /// The Checks endpoint.
    Checks, "checks", "/api/v1/checks", ChecksRequest, ChecksOk, ChecksSpec, checks_request
}

/// Which facts to check. Everything is optional; an empty request checks nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChecksRequest {
    /// Evaluation time of the Prometheus checks, Unix seconds (absent: now).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub at: Option<f64>,
    /// Does Prometheus hold any Linkerd proxy series at `at`?
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub proxy_series: bool,
    /// What is Prometheus's scrape interval?
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub scrape_interval: bool,
    /// When is Prometheus's newest sample (so a hint can tell an evaluation time after the
    /// data from a Prometheus that does not scrape the proxies)?
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub newest_sample: bool,
    /// Do these objects exist? (`type` canonical, e.g. `namespace`, `deployment`.)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exist: Vec<Resource>,
    /// How many objects of a kind (matching a label selector) are there in a namespace?
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub count: Option<ObjectCount>,
    /// How many running and meshed pods does this namespace have?
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pods_in: String,
    /// Does this object send outbound requests at `at`?
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(deserialize_with = "crate::validate::non_null")]
    pub sends: Option<Resource>,
    /// In which form (classic `_bucket` series, native, neither) does Prometheus hold these
    /// histogram families at `at`? (Metric names.)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub histograms: Vec<String>,
}

/// The objects to count: `type` (canonical) in `namespace` ("" = every namespace).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ObjectCount {
    pub namespace: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label_selector: String,
}

/// The facts found. `None`: not asked, or the check could not run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChecksOk {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_series: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_interval_seconds: Option<f64>,
    /// Unix seconds of Prometheus's newest sample: its TSDB head's max time, or where that is
    /// not served, the newest Linkerd proxy sample in the 7 days before `at`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_sample: Option<f64>,
    /// One entry per asked object, in the order asked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exist: Vec<Existence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pods: Option<PodTally>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sends: Option<bool>,
    /// One entry per asked histogram family, in the order asked (empty when not checked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub histograms: Vec<HistogramCheck>,
}

/// The form of one histogram family: `classic`, `native` or `none`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HistogramCheck {
    pub family: String,
    pub form: String,
}

/// Whether one object exists (`None`: could not tell).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Existence {
    pub resource: Resource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
}

/// Pods of a namespace that are Running or Pending, and how many of them carry the proxy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PodTally {
    pub running: u64,
    pub meshed: u64,
}

/// A checked request: kinds resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecksSpec {
    pub at: Option<f64>,
    pub proxy_series: bool,
    pub scrape_interval: bool,
    pub newest_sample: bool,
    pub exist: Vec<(ResourceKind, Resource)>,
    pub count: Option<(ResourceKind, ObjectCount)>,
    pub pods_in: String,
    pub sends: Option<(ResourceKind, Resource)>,
    pub histograms: Vec<String>,
}

/// A Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`): histogram families land in a regex.
fn check_metric_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    if valid { Ok(()) } else { Err(format!("invalid histogram family name {name:?}")) }
}

fn kind_of(resource: &Resource) -> Result<(ResourceKind, Resource), String> {
    let kind = canonical_kind(&resource.kind)?;
    names::check_name("name", Some(kind), &resource.name)?;
    names::check_namespace("namespace", &resource.namespace)?;
    Ok((kind, resource.clone()))
}

pub fn checks_request(req: &ChecksRequest) -> Result<ChecksSpec, String> {
    check_at(req.at)?;
    names::check_namespace("pods_in", &req.pods_in)?;
    if let Some(c) = &req.count {
        names::check_namespace("count.namespace", &c.namespace)?;
        selector::validate(&c.label_selector)?;
    }
    let count = match &req.count {
        Some(c) => Some((canonical_kind(&c.kind)?, c.clone())),
        None => None,
    };
    Ok(ChecksSpec {
        at: req.at,
        proxy_series: req.proxy_series,
        scrape_interval: req.scrape_interval,
        newest_sample: req.newest_sample,
        exist: req.exist.iter().map(kind_of).collect::<Result<_, _>>()?,
        count,
        pods_in: req.pods_in.clone(),
        sends: req.sends.as_ref().map(kind_of).transpose()?,
        histograms: req.histograms.iter().map(|h| check_metric_name(h).map(|_| h.clone())).collect::<Result<_, _>>()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_must_be_canonical() {
        let mut req = ChecksRequest::default();
        req.exist.push(Resource { namespace: "x".into(), kind: "deploy".into(), name: "web".into() });
        assert_eq!(checks_request(&req).unwrap_err(), "unimplemented resource type: deploy");
        req.exist[0].kind = "deployment".into();
        let spec = checks_request(&req).expect("valid");
        assert_eq!(spec.exist[0].0, ResourceKind::Deployment);
        assert_eq!(serde_json::to_string(&ChecksRequest::default()).expect("json"), "{}");
    }

    #[test]
    fn histogram_families_are_metric_names() {
        let mut req = ChecksRequest { histograms: vec!["response_latency_ms".into()], ..Default::default() };
        assert!(checks_request(&req).is_ok());
        req.histograms.push("a|b\"}".into());
        assert_eq!(checks_request(&req).unwrap_err(), r#"invalid histogram family name "a|b\"}""#);
    }
}
