//! Prometheus text exposition of request counts and latency by route, and pool usage.
//! Routes are the matched patterns (`/api/v1/teams/{id}`), so label cardinality stays bounded.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_secs: f64,
}

#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        let stats = routes
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        *stats.by_status.entry(status).or_default() += 1;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                stats.buckets[i] += 1;
            }
        }
        stats.count += 1;
        stats.sum_secs += secs;
    }

    /// Renders the metrics; `pool` is (connections open, idle connections, max size).
    pub fn render(&self, pool: (u32, u32, u32)) -> String {
        let mut out = String::with_capacity(4096);
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str(
            "# HELP zhiyuan_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE zhiyuan_http_requests_total counter\n");
        for ((method, route), stats) in routes.iter() {
            for (status, n) in &stats.by_status {
                let _ = writeln!(
                    out,
                    "zhiyuan_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str(
            "# HELP zhiyuan_http_request_duration_seconds Request latency by method and route.\n",
        );
        out.push_str("# TYPE zhiyuan_http_request_duration_seconds histogram\n");
        for ((method, route), stats) in routes.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (bound, n) in BUCKETS.iter().zip(stats.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "zhiyuan_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "zhiyuan_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                stats.count
            );
            let _ = writeln!(
                out,
                "zhiyuan_http_request_duration_seconds_sum{{{labels}}} {}",
                stats.sum_secs
            );
            let _ = writeln!(
                out,
                "zhiyuan_http_request_duration_seconds_count{{{labels}}} {}",
                stats.count
            );
        }
        drop(routes);
        let (open, idle, max) = pool;
        out.push_str("# HELP zhiyuan_db_pool_connections Database pool connections by state.\n");
        out.push_str("# TYPE zhiyuan_db_pool_connections gauge\n");
        let _ = writeln!(
            out,
            "zhiyuan_db_pool_connections{{state=\"in_use\"}} {}",
            open.saturating_sub(idle)
        );
        let _ = writeln!(out, "zhiyuan_db_pool_connections{{state=\"idle\"}} {idle}");
        out.push_str("# HELP zhiyuan_db_pool_max_connections Configured pool size.\n");
        out.push_str("# TYPE zhiyuan_db_pool_max_connections gauge\n");
        let _ = writeln!(out, "zhiyuan_db_pool_max_connections {max}");
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
