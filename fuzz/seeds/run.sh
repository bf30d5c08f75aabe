#!/bin/sh
# Runs one fuzz target for SECONDS (default 600) at the lowest priority, logging to
# fuzz/logs/<target>-<time>.log. Usage: fuzz/seeds/run.sh TARGET [SECONDS] [extra libFuzzer flags]
set -eu
cd "$(dirname "$0")/.."
target=$1
seconds=${2:-600}
shift; [ $# -gt 0 ] && shift
[ -d "corpus/$target" ] || python3 seeds/make_corpora.py
mkdir -p logs
log="logs/$target-$(date +%H%M%S).log"
echo "$log"
RUSTC_BOOTSTRAP=1 nice -n 19 cargo fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1 "$@" \
    >"$log" 2>&1
