-- bench/run-http's report from wrk: one line of whole numbers after each run, latencies in
-- microseconds. wrk counts answers outside 200-399 as status errors; the script refuses a run
-- with any.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("result requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write, e.timeout))
end
