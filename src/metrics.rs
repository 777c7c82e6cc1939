//! Metrics in the Prometheus text format, through the `metrics` facade and its Prometheus
//! exporter: counters and histograms are sharded atomics, so recording takes no lock shared by
//! every request. Each `AppState` has its own recorder (none is installed process-wide), so
//! servers and tests in one process never mix their counts. Routes are the matched patterns
//! (`/api/v1/teams/{id}`), so label cardinality stays bounded.
//!
//! What an operator watches: requests by route and status and their latency; the pool (in
//! use, idle, size, waits for a connection, waits that timed out); the webhook outbox (backlog,
//! oldest pending delivery's age, attempts by outcome); rate-limit refusals by limit.

use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

/// Upper bounds of the latency histograms, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

const REQUESTS: &str = "zhiyuan_http_requests_total";
const DURATION: &str = "zhiyuan_http_request_duration_seconds";
const POOL_WAIT: &str = "zhiyuan_db_pool_wait_seconds";

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

enum Kind {
    Counter,
    Gauge,
    Histogram,
}

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &BUCKETS)
            .unwrap_or_else(|_| unreachable!("the buckets are not empty"))
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Metrics { recorder, handle };
        use Kind::{Counter, Gauge, Histogram};
        for (kind, name, unit, help) in [
            (
                Counter,
                REQUESTS,
                None,
                "HTTP requests by method, route and status.",
            ),
            (
                Histogram,
                DURATION,
                Some(Unit::Seconds),
                "Request latency by method and route.",
            ),
            (
                Gauge,
                "zhiyuan_db_pool_connections",
                None,
                "Database pool connections by state.",
            ),
            (
                Gauge,
                "zhiyuan_db_pool_max_connections",
                None,
                "Configured pool size.",
            ),
            (
                Histogram,
                POOL_WAIT,
                Some(Unit::Seconds),
                "Time requests waited for a database connection.",
            ),
            (
                Counter,
                "zhiyuan_db_pool_timeouts_total",
                None,
                "Requests that found no database connection within the wait (answered 503).",
            ),
            (
                Gauge,
                "zhiyuan_webhook_backlog",
                None,
                "Webhook deliveries waiting to be sent (pending).",
            ),
            (
                Gauge,
                "zhiyuan_webhook_oldest_pending_age_seconds",
                Some(Unit::Seconds),
                "Age of the oldest pending webhook delivery.",
            ),
            (
                Counter,
                "zhiyuan_webhook_attempts_total",
                None,
                "Webhook delivery attempts by outcome (delivered, retry, failed).",
            ),
            (
                Counter,
                "zhiyuan_rate_limit_refusals_total",
                None,
                "Requests refused with 429, by limit.",
            ),
        ] {
            let key = metrics::KeyName::from_const_str(name);
            let r = &metrics.recorder;
            match kind {
                Counter => r.describe_counter(key, unit, help.into()),
                Gauge => r.describe_gauge(key, unit, help.into()),
                Histogram => r.describe_histogram(key, unit, help.into()),
            }
        }
        metrics
    }

    fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
        Key::from_parts(
            name,
            labels
                .iter()
                .map(|(k, v)| Label::new(*k, (*v).to_owned()))
                .collect::<Vec<_>>(),
        )
    }

    pub fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Counter {
        self.recorder
            .register_counter(&Metrics::key(name, labels), &METADATA)
    }

    pub fn gauge(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Gauge {
        self.recorder
            .register_gauge(&Metrics::key(name, labels), &METADATA)
    }

    pub fn histogram(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Histogram {
        self.recorder
            .register_histogram(&Metrics::key(name, labels), &METADATA)
    }

    /// Counts a request and its latency.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        self.counter(
            REQUESTS,
            &[("method", method), ("route", route), ("status", &status)],
        )
        .increment(1);
        self.histogram(DURATION, &[("method", method), ("route", route)])
            .record(elapsed.as_secs_f64());
    }

    /// How long a request waited for a pooled connection.
    pub fn pool_wait(&self, waited: Duration) {
        self.histogram(POOL_WAIT, &[]).record(waited.as_secs_f64());
    }

    /// The exposition, with the pool's state as of now: (open, idle, max size).
    pub fn render(&self, pool: (u32, u32, u32)) -> String {
        let (open, idle, max) = pool;
        let connections = "zhiyuan_db_pool_connections";
        self.gauge(connections, &[("state", "in_use")])
            .set(f64::from(open.saturating_sub(idle)));
        self.gauge(connections, &[("state", "idle")])
            .set(f64::from(idle));
        self.gauge("zhiyuan_db_pool_max_connections", &[])
            .set(f64::from(max));
        self.handle.render()
    }

    /// Folds recorded histogram samples into their buckets (run every few seconds: until
    /// then each sample is kept on its own).
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}
