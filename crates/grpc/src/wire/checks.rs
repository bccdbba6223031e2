//! lviz's `Extensions/Checks` ⇄ `lviz_api::Checks` (the facts of the empty-result hints).

use futures::future::BoxFuture;

use super::{Rpc, Stubs, from_resource, resource, resource_error, to_resource};
use crate::proto::ext::{self, ChecksResponse, checks_response};
use lviz_api::{Checks, ChecksOk, ChecksRequest, Existence, HistogramCheck, ObjectCount, PodTally};

impl Rpc for Checks {
    type Proto = ext::ChecksRequest;
    type Reply = ChecksResponse;
    const METHOD: &'static str = "Checks";

    fn from_proto(r: ext::ChecksRequest) -> ChecksRequest {
        ChecksRequest {
            at: r.at,
            proxy_series: r.proxy_series,
            scrape_interval: r.scrape_interval,
            exist: r.exist.into_iter().map(|e| from_resource(Some(e))).collect(),
            count: r.count.map(|c| ObjectCount {
                namespace: c.namespace,
                kind: c.r#type,
                label_selector: c.label_selector,
            }),
            pods_in: r.pods_in,
            sends: r.sends.map(|s| from_resource(Some(s))),
            newest_sample: r.newest_sample,
            histograms: r.histograms,
        }
    }

    fn to_proto(r: &ChecksRequest) -> ext::ChecksRequest {
        ext::ChecksRequest {
            at: r.at,
            proxy_series: r.proxy_series,
            scrape_interval: r.scrape_interval,
            exist: r.exist.iter().map(to_resource).collect(),
            count: r.count.as_ref().map(|c| ext::ObjectCount {
                namespace: c.namespace.clone(),
                r#type: c.kind.clone(),
                label_selector: c.label_selector.clone(),
            }),
            pods_in: r.pods_in.clone(),
            sends: r.sends.as_ref().map(to_resource),
            newest_sample: r.newest_sample,
            histograms: r.histograms.clone(),
        }
    }

    fn reply(r: &ChecksRequest, answer: Result<&ChecksOk, &str>) -> Option<ChecksResponse> {
        let response = match answer {
            Ok(ok) => checks_response::Response::Ok(checks_response::Ok {
                proxy_series: ok.proxy_series,
                scrape_interval_seconds: ok.scrape_interval_seconds,
                exist: ok
                    .exist
                    .iter()
                    .map(|e| ext::Existence { resource: Some(to_resource(&e.resource)), exists: e.exists })
                    .collect(),
                count: ok.count,
                pods: ok.pods.map(|p| ext::PodTally { running: p.running, meshed: p.meshed }),
                sends: ok.sends,
                newest_sample: ok.newest_sample,
                histograms: ok
                    .histograms
                    .iter()
                    .map(|h| ext::HistogramCheck { family: h.family.clone(), form: h.form.clone() })
                    .collect(),
            }),
            Err(e) => checks_response::Response::Error(resource_error(resource("", "", ""), e)),
        };
        Some(ChecksResponse { response: Some(response), at: r.at })
    }

    fn read_reply(reply: ChecksResponse) -> Option<Result<ChecksOk, String>> {
        match reply.response? {
            checks_response::Response::Ok(ok) => Some(Ok(ChecksOk {
                proxy_series: ok.proxy_series,
                scrape_interval_seconds: ok.scrape_interval_seconds,
                exist: ok
                    .exist
                    .into_iter()
                    .map(|e| Existence { resource: from_resource(e.resource), exists: e.exists })
                    .collect(),
                count: ok.count,
                pods: ok.pods.map(|p| PodTally { running: p.running, meshed: p.meshed }),
                sends: ok.sends,
                newest_sample: ok.newest_sample,
                histograms: ok
                    .histograms
                    .into_iter()
                    .map(|h| HistogramCheck { family: h.family, form: h.form })
                    .collect(),
            })),
            checks_response::Response::Error(e) => Some(Err(e.error)),
        }
    }

    /// A Linkerd metrics-api has no such call: every fact is unknown, so no hint derives from it.
    fn when_unanswered() -> Option<ChecksOk> {
        Some(ChecksOk::default())
    }

    fn echoed_at(reply: &ChecksResponse) -> Option<f64> {
        reply.at
    }

    fn call(
        mut stubs: Stubs,
        request: ext::ChecksRequest,
    ) -> BoxFuture<'static, Result<tonic::Response<ChecksResponse>, tonic::Status>> {
        Box::pin(async move { stubs.ext.checks(request).await })
    }
}
