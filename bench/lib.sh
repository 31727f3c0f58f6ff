# Functions of bench/run.sh (sourced; it sets work, the ports and the load before).

# CPU accounting per system: each runs in its own cgroup, so a Postfix daemon that has exited is still counted.
if [ -d /sys/fs/cgroup/cpuacct ]; then
  cg_root=/sys/fs/cgroup/cpuacct/securefallback-bench-$$ cg_kind=v1
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  cg_root=/sys/fs/cgroup/securefallback-bench-$$ cg_kind=v2
else
  echo "no cgroup (v1 cpuacct or v2) to count CPU time in" >&2; exit 2
fi
cgroup_dir() { echo "$cg_root/$1"; }
new_cgroup() { mkdir -p "$cg_root/$1"; }
cpu_ns() {
  if [ "$cg_kind" = v1 ]; then cat "$cg_root/$1/cpuacct.usage"; else awk '/^usage_usec/ {print $2 * 1000}' "$cg_root/$1/cpu.stat"; fi
}

sf_pid=""
stop_sf() { [ -n "$sf_pid" ] && kill "$sf_pid" 2>/dev/null && wait "$sf_pid" 2>/dev/null || true; sf_pid=""; }
cleanup() {
  stop_sf
  for instance in recv pf-intake pf-relay pf-reuse; do postfix -c "$work/$instance" stop >/dev/null 2>&1 || true; done
  for _ in $(seq 50); do rmdir "$cg_root"/* "$cg_root" 2>/dev/null && break; sleep 0.2; done
  rm -rf "$work"
}

# start_sf DATA_DIR ROLES: a Release server with its embedded defaults on the bench ports, in the cgroup "sf",
# waited for until /healthz answers.
start_sf() {
  (
    echo "$BASHPID" > "$(cgroup_dir sf)/cgroup.procs"
    exec dotnet "$work/builds/SecureFallback.Server/securefallback.dll" \
      --SecureFallback:DataDirectory="$1" --SecureFallback:Roles="$2" \
      --SecureFallback:Intake:Port="$SF_PORT" --Urls="http://127.0.0.1:$WEB_PORT" \
      --SecureFallback:Delivery:HeloName=sf.bench.test \
      --SecureFallback:Delivery:Routes:bench.test="127.0.0.1:$RECV_PORT" \
      --SecureFallback:Branding:OrganizationName="Bench" \
      --Logging:LogLevel:Default=Warning > "$work/sf.log" 2>&1
  ) &
  sf_pid=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$WEB_PORT/healthz" >/dev/null && return 0; sleep 0.2; done
  cat "$work/sf.log"; exit 1
}
rss_kb() { awk "/$1/ {print \$2}" "/proc/$sf_pid/status"; }

# What the receiver has taken in so far: cleanup logs one message-id line per message, before smtpd's 250.
received() { grep -c ': message-id=' "$work/recv/maillog" 2>/dev/null || true; }
wait_received() { # COUNT SECONDS
  local deadline=$(( $(date +%s) + $2 ))
  while [ "$(received)" -lt "$1" ]; do [ "$(date +%s)" -ge "$deadline" ] && return 1; sleep 0.02; done
}
send() { # COUNT CLIENTS PORT: one connection per message, as the issue's table measures
  timeout 300 smtp-source -s "$2" -m "$1" -l "$SIZE" -f sender@bench.test -t rcpt@bench.test "127.0.0.1:$3"
}
now() { date +%s.%N; }

# end_to_end NAME PORT CGROUP: warm up, then time MESSAGES from smtp-source's start until the receiver has them all.
end_to_end() {
  local base t0 cpu0 got
  base=$(received); send "$WARMUP" "$CLIENTS" "$2"; wait_received $((base + WARMUP)) 120 || true
  base=$(received) cpu0=$(cpu_ns "$3") recv0=$(cpu_ns recv) t0=$(now)
  send "$MESSAGES" "$CLIENTS" "$2"
  wait_received $((base + MESSAGES)) 300 || echo "  $1: the receiver did not get every message in 300 s" >&2
  got=$(( $(received) - base ))
  record e2e "$1" "$t0" "$(now)" "$cpu0" "$(cpu_ns "$3")" "$got"
  # What the receiving Postfix spent meanwhile: the same work for either system, on the same two cores.
  record e2e "$1-receiver" "$t0" "$(now)" "$recv0" "$(cpu_ns recv)" "$got"
}

# intake_alone NAME PORT CGROUP CLIENTS: warm up, then time MESSAGES until smtp-source has every 250.
intake_alone() {
  local t0 cpu0
  send "$WARMUP" "$4" "$2"
  cpu0=$(cpu_ns "$3") t0=$(now)
  send "$MESSAGES" "$4" "$2"
  record intake "$1" "$t0" "$(now)" "$cpu0" "$(cpu_ns "$3")" "$MESSAGES"
}

# record KIND NAME T0 T1 CPU0 CPU1 COUNT -> "raw KIND NAME RUN msgs/s cpu_ms_per_msg count" in $work/raw and stdout
record() {
  awk -v k="$1" -v n="$2" -v r="$run" -v t0="$3" -v t1="$4" -v c0="$5" -v c1="$6" -v m="$7" \
    'BEGIN { printf "raw %s %s %s %.0f %.3f %d\n", k, n, r, m / (t1 - t0), (c1 - c0) / 1e6 / (m > 0 ? m : 1), m }' | tee -a "$work/raw"
}

# median KIND NAME FIELD (5 = msgs/s, 6 = CPU ms per message), and "min–max" of the same
median() { awk -v k="$1" -v n="$2" -v f="$3" '$2 == k && $3 == n { print $f }' "$work/raw" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'; }
spread() { awk -v k="$1" -v n="$2" -v f="$3" '$2 == k && $3 == n { print $f }' "$work/raw" | sort -g | awk '{ v[NR] = $1 } END { if (NR > 1) printf "%s–%s", v[1], v[NR] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
at_least() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "yes" : "**no**") }'; }
at_most() { awk -v r="$1" -v t="$2" 'BEGIN { print (r > 0 && r <= t ? "yes" : "**no**") }'; }

row_rate() { # LABEL KIND SF_NAME PF_NAME TARGET
  local sf pf r
  sf=$(median "$2" "$3" 5) pf=$(median "$2" "$4" 5) r=$(ratio "$sf" "$pf")
  printf '| %s, msgs/s | %s (%s) | %s (%s) | %s× | ≥ %s× | %s |\n' "$1" "$sf" "$(spread "$2" "$3" 5)" "$pf" "$(spread "$2" "$4" 5)" "$r" "$5" "$(at_least "$r" "$5")"
}
row_cpu() { # LABEL SF_NAME PF_NAME
  local sf pf r
  sf=$(median e2e "$2" 6) pf=$(median e2e "$3" 6) r=$(ratio "$sf" "$pf")
  printf '| %s, CPU ms per message | %s (%s) | %s (%s) | %s× | ≤ 0.5× | %s |\n' "$1" "$sf" "$(spread e2e "$2" 6)" "$pf" "$(spread e2e "$3" 6)" "$r" "$(at_most "$r" 0.5)"
}

print_table() {
  local cpu
  cpu=$(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//')
  printf '\nmachine: %s cores (%s), %s GiB, %s; .NET %s; Postfix %s\n' "$(nproc)" "$cpu" "$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" "$(uname -sr)" "$(dotnet --version)" "$(postconf -d -h mail_version)"
  printf 'work: %d x %d bytes from smtp-source, %d clients, one connection per message; medians of %d runs (min–max)\n\n' "$MESSAGES" "$SIZE" "$CLIENTS" "$RUNS"
  printf '| measure | SecureFallback | Postfix | ratio | target | met |\n|---|---|---|---|---|---|\n'
  if grep -q '^raw e2e' "$work/raw" 2>/dev/null; then
    row_rate "end to end, Postfix as shipped" e2e sf pf-default 2.0
    row_rate "end to end, Postfix with smtp_tls_connection_reuse" e2e sf pf-reuse 1.7
    row_cpu "end to end, Postfix as shipped" sf pf-default
    row_cpu "end to end, Postfix with smtp_tls_connection_reuse" sf pf-reuse
    printf '| the receiving Postfix meanwhile (same work for both), CPU ms per message | %s | %s | | | |\n' "$(median e2e sf-receiver 6)" "$(median e2e pf-default-receiver 6)"
  fi
  if grep -q '^raw intake' "$work/raw" 2>/dev/null; then
    row_rate "intake alone, 10 clients" intake sf-10 pf-10 2.0
    row_rate "intake alone, 20 clients" intake sf-20 pf-20 2.0
  fi
  if grep -q '^raw memory' "$work/raw" 2>/dev/null; then
    awk '$2 == "memory" { split($3, d, "="); split($4, g, "="); printf "| RSS growth, one 25 MB message in and delivered (%s delivered) | %s MiB | | | < 64 MiB | %s |\n", d[2], g[2], (g[2] < 64 ? "yes" : "**no**") }' "$work/raw"
  fi
  if grep -q '^raw encryption' "$work/raw" 2>/dev/null; then
    awk '$2 == "encryption" { for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } share = 100 * v["seal_mbps"] / v["raw_mbps"];
      printf "| at-rest sealing of 25 MiB, MB/s (raw AES-256-GCM in place: %s) | %s | | %.0f%% of raw | ≥ 80%% | %s |\n", v["raw_mbps"], v["seal_mbps"], share, (share >= 80 ? "yes" : "**no**") }' "$work/raw"
  fi
  [ -f "$work/portal.md" ] && { echo; cat "$work/portal.md"; }
  return 0
}
