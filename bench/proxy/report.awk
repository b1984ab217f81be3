# Aggregates bench/run.sh's raw.tsv (one row per measured window) into medians and
# ratios. -v mode=table prints the human table; -v mode=json prints the JSON
# document (meta fields come in as -v variables, already JSON-escaped).
# Portable awk (no gawk extensions).
function median(key, col,   n, i, j, t, v, x) {
    n = 0
    for (i = 1; i <= nrows; i++) {
        if (rkey[i] != key) continue
        x = cell[i, col]
        if (x == "NA" || x == "") continue
        v[++n] = x + 0
    }
    if (n == 0) return "NA"
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    if (n % 2) return v[(n + 1) / 2]
    return (v[n / 2] + v[n / 2 + 1]) / 2
}
function ratio(a, b) { return (a == "NA" || b == "NA" || b + 0 == 0) ? "NA" : a / b }
function fmt(x, f) { return x == "NA" ? "-" : sprintf(f, x) }
function jnum(x, f) { return x == "NA" ? "null" : sprintf(f, x) }
function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, " ", s); return "\"" s "\"" }

BEGIN { FS = "\t"; ntargets = split("direct nginx haproxy rollway baseline", order, " ") }
FNR == 1 && FILENAME == ARGV[1] { for (i = 1; i <= NF; i++) colidx[$i] = i; next }
FILENAME == ARGV[1] {
    nrows++
    for (c in colidx) cell[nrows, c] = $(colidx[c])
    # CPU on the proxy core not spent by the proxy: other people's work on a shared box.
    x = $(colidx["proxy_core_busy_pct"]); y = $(colidx["proxy_core_pct"])
    cell[nrows, "foreign_pct"] = (x == "NA" || x == "") ? "NA" : ((y == "NA" ? x : x - y) < 0 ? 0 : (y == "NA" ? x : x - y))
    sc = $(colidx["scenario"]); tg = $(colidx["target"])
    rkey[nrows] = sc SUBSEP tg
    if (!(sc in seen_sc)) { seen_sc[sc] = 1; scen[++nscen] = sc }
    present[sc, tg] = 1
    runs[sc, tg]++
    errs[sc, tg] += ($(colidx["non2xx"]) == "NA" ? 0 : $(colidx["non2xx"])) + ($(colidx["sock_errors"]) == "NA" ? 0 : $(colidx["sock_errors"]))
    if ($(colidx["status"]) != "ok") bad[sc, tg]++
    next
}
{ errline[++nerr] = $0 }

END {
    metrics = "rps p50_ms p99_ms proxy_cpu_100k proxy_core_pct upstream_cpu_100k proxy_core_busy_pct foreign_pct load_core_busy_pct steal_pct"
    nm = split(metrics, mname, " ")
    for (s = 1; s <= nscen; s++)
        for (t = 1; t <= ntargets; t++)
            if (present[scen[s], order[t]])
                for (m = 1; m <= nm; m++) med[scen[s], order[t], mname[m]] = median(scen[s] SUBSEP order[t], mname[m])

    if (mode == "table") {
        for (s = 1; s <= nscen; s++) {
            sc = scen[s]
            printf "\n== scenario %s: median of %s rounds (%s) ==\n", sc, rounds, (sc == "newconn" ? "wrk -H 'Connection: close': a new TCP connection per request" : "keep-alive connections")
            printf "%-9s %9s %8s %8s %13s %10s %14s %10s %8s %7s\n", "target", "req/s", "p50 ms", "p99 ms", "proxy cpu-s", "proxy", "upstream cpu-s", "load core", "other on", "errors"
            printf "%-9s %9s %8s %8s %13s %10s %14s %10s %8s %7s\n", "", "", "", "", "per 100k req", "% of core", "per 100k req", "busy %", "core0 %", ""
            for (t = 1; t <= ntargets; t++) {
                tg = order[t]
                if (!present[sc, tg]) continue
                e = errs[sc, tg] + 0
                es = e "" ; if (bad[sc, tg]) es = es "!"
                printf "%-9s %9s %8s %8s %13s %10s %14s %10s %8s %7s\n", tg,
                    fmt(med[sc, tg, "rps"], "%.0f"), fmt(med[sc, tg, "p50_ms"], "%.2f"), fmt(med[sc, tg, "p99_ms"], "%.2f"),
                    fmt(med[sc, tg, "proxy_cpu_100k"], "%.2f"), fmt(med[sc, tg, "proxy_core_pct"], "%.0f"),
                    fmt(med[sc, tg, "upstream_cpu_100k"], "%.2f"), fmt(med[sc, tg, "load_core_busy_pct"], "%.0f"),
                    fmt(med[sc, tg, "foreign_pct"], "%.0f"), es
            }
            for (t = 2; t <= 5; t++) {
                if (order[t] == "rollway") continue
                other = order[t]
                if (!present[sc, "rollway"] || !present[sc, other]) continue
                printf "rollway/%-8s req/s %s (>1: rollway faster)   p99 %s (<1: rollway lower)   cpu/req %s (<1: rollway cheaper)\n", other,
                    fmt(ratio(med[sc, "rollway", "rps"], med[sc, other, "rps"]), "%.2f"),
                    fmt(ratio(med[sc, "rollway", "p99_ms"], med[sc, other, "p99_ms"]), "%.2f"),
                    fmt(ratio(med[sc, "rollway", "proxy_cpu_100k"], med[sc, other, "proxy_cpu_100k"]), "%.2f")
            }
        }
        exit
    }

    # JSON
    printf "{\n  \"generated\": %s,\n  \"host\": {\"nproc\": %s, \"kernel\": %s},\n", jstr(generated), nproc, jstr(kernel)
    printf "  \"config\": {\"duration_s\": %s, \"warmup_s\": %s, \"connections\": %s, \"threads\": %s, \"rounds\": %s, \"path\": %s, \"proxy_cpu\": %s, \"load_cpu\": %s},\n", duration, warmup, connections, threads, rounds, jstr(path), jstr(proxy_cpu), jstr(load_cpu)
    printf "  \"versions\": {\"rollway\": %s, \"nginx\": %s, \"haproxy\": %s, \"wrk\": %s},\n", jstr(v_rollway), jstr(v_nginx), jstr(v_haproxy), jstr(v_wrk)
    printf "  \"units\": {\"rps\": \"requests/s\", \"p50_ms\": \"ms\", \"p99_ms\": \"ms\", \"proxy_cpu_100k\": \"CPU-seconds (user+system) of the proxy per 100000 requests\", \"proxy_core_pct\": \"proxy CPU time / wall time of the window, %%\", \"upstream_cpu_100k\": \"CPU-seconds of the upstream per 100000 requests\", \"proxy_core_busy_pct\": \"busy share of the proxy core (all processes), %%\", \"load_core_busy_pct\": \"busy share of the wrk + upstream core, %%\", \"foreign_pct\": \"busy share of the proxy core not used by the proxy (other load on a shared machine), %%\", \"steal_pct\": \"hypervisor steal on both cores, %%\"},\n"
    printf "  \"scenarios\": {"
    for (s = 1; s <= nscen; s++) {
        sc = scen[s]
        printf "%s\n    %s: {\n      \"median\": {", (s > 1 ? "," : ""), jstr(sc)
        first = 1
        for (t = 1; t <= ntargets; t++) {
            tg = order[t]
            if (!present[sc, tg]) continue
            printf "%s\n        %s: {", (first ? "" : ","), jstr(tg); first = 0
            for (m = 1; m <= nm; m++) printf "%s\"%s\": %s", (m > 1 ? ", " : ""), mname[m], jnum(med[sc, tg, mname[m]], "%.4f")
            printf ", \"runs\": %d, \"failed_runs\": %d, \"errors\": %d}", runs[sc, tg], bad[sc, tg], errs[sc, tg]
        }
        printf "\n      },\n      \"ratios\": {"
        first = 1
        for (t = 2; t <= 5; t++) {
            other = order[t]
            if (other == "rollway" || !present[sc, "rollway"] || !present[sc, other]) continue
            printf "%s\n        \"rollway/%s\": {\"rps\": %s, \"p99\": %s, \"cpu_per_request\": %s}", (first ? "" : ","), other,
                jnum(ratio(med[sc, "rollway", "rps"], med[sc, other, "rps"]), "%.4f"),
                jnum(ratio(med[sc, "rollway", "p99_ms"], med[sc, other, "p99_ms"]), "%.4f"),
                jnum(ratio(med[sc, "rollway", "proxy_cpu_100k"], med[sc, other, "proxy_cpu_100k"]), "%.4f")
            first = 0
        }
        printf "\n      },\n      \"runs\": ["
        first = 1
        for (i = 1; i <= nrows; i++) {
            if (cell[i, "scenario"] != sc) continue
            printf "%s\n        {\"round\": %d, \"target\": %s, \"rps\": %s, \"requests\": %s, \"p50_ms\": %s, \"p99_ms\": %s, \"proxy_cpu_s\": %s, \"proxy_cpu_100k\": %s, \"proxy_core_pct\": %s, \"upstream_cpu_100k\": %s, \"non2xx\": %s, \"socket_errors\": %s, \"proxy_core_busy_pct\": %s, \"load_core_busy_pct\": %s, \"foreign_pct\": %s, \"steal_pct\": %s, \"status\": %s}",
                (first ? "" : ","), cell[i, "round"], jstr(cell[i, "target"]),
                jnum(cell[i, "rps"], "%.2f"), jnum(cell[i, "requests"], "%d"), jnum(cell[i, "p50_ms"], "%.4f"), jnum(cell[i, "p99_ms"], "%.4f"),
                jnum(cell[i, "proxy_cpu_s"], "%.2f"), jnum(cell[i, "proxy_cpu_100k"], "%.4f"), jnum(cell[i, "proxy_core_pct"], "%.1f"),
                jnum(cell[i, "upstream_cpu_100k"], "%.4f"), jnum(cell[i, "non2xx"], "%d"), jnum(cell[i, "sock_errors"], "%d"), jnum(cell[i, "proxy_core_busy_pct"], "%.1f"), jnum(cell[i, "load_core_busy_pct"], "%.1f"), jnum(cell[i, "foreign_pct"], "%.1f"), jnum(cell[i, "steal_pct"], "%.1f"), jstr(cell[i, "status"])
            first = 0
        }
        printf "\n      ]\n    }"
    }
    printf "\n  },\n  \"errors\": ["
    for (i = 1; i <= nerr; i++) printf "%s\n    %s", (i > 1 ? "," : ""), jstr(errline[i])
    printf "%s]\n}\n", (nerr ? "\n  " : "")
}
