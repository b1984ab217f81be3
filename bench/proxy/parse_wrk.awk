# Reads wrk --latency output; prints one tab-separated line:
#   rps  requests  p50_ms  p99_ms  non2xx  socket_errors(connect+read+write+timeout)  socket_detail
# Missing values are NA. Portable awk (mawk, gawk, busybox).
function to_ms(s,   n, u) {
    n = s; u = s
    sub(/[a-z]+$/, "", n); sub(/^[0-9.]+/, "", u)
    if (u == "us") return n / 1000
    if (u == "ms") return n + 0
    if (u == "s")  return n * 1000
    if (u == "m")  return n * 60000
    if (u == "h")  return n * 3600000
    return "NA"
}
BEGIN { rps = "NA"; req = "NA"; p50 = "NA"; p99 = "NA"; non2xx = 0; sock = 0; detail = "none" }
/^Requests\/sec:/                { rps = $2 }
/ requests in /                  { req = $1 }
/Latency Distribution/           { dist = 1; next }
dist && $1 == "50%"              { p50 = to_ms($2) }
dist && $1 == "99%"              { p99 = to_ms($2); dist = 0 }
/Non-2xx or 3xx responses:/      { non2xx = $NF }
/Socket errors:/ {
    line = $0; gsub(/,/, "", line); n = split(line, f, /[ \t]+/)
    for (i = 1; i < n; i++) if (f[i] ~ /^(connect|read|write|timeout)$/) sock += f[i + 1]
    detail = line; sub(/^[ \t]*Socket errors:[ \t]*/, "", detail); gsub(/[ \t]+/, "_", detail)
}
END { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rps, req, p50, p99, non2xx, sock, detail }
