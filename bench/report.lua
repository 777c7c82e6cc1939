-- One line per run: requests per second, p50 and p99 latency, and failures (non-2xx included).
return function(summary, latency, requests)
  local e = summary.errors
  local failures = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f failures=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, failures, summary.requests))
end
