#!/usr/bin/env bash
# Runs every fuzz_* binary in DIR for SECONDS each (two at a time), starting from the checked-in
# seed corpus (fuzz/corpus/<name>/) copied to a scratch directory. Fails if any target finds a crash.
set -euo pipefail
dir="$1"; seconds="${2:-10}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
targets=$(find "$dir" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
[ -n "$targets" ] || { echo "run-fuzzers: no fuzz targets in $dir"; exit 1; }
run_one() {
  local bin="$1" seconds="$2" root="$3" work="$4" name; name=$(basename "$bin")
  mkdir -p "$work/$name/corpus"
  [ -d "$root/fuzz/corpus/$name" ] && cp -r "$root/fuzz/corpus/$name/." "$work/$name/corpus/"
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=0 \
       -artifact_prefix="$work/$name/" "$work/$name/corpus" >"$work/$name.log" 2>&1; then
    echo "fuzz: $name ok ($(grep -c . "$work/$name.log" >/dev/null; ls "$work/$name/corpus" | wc -l) corpus files, ${seconds}s)"
  else
    echo "fuzz: $name FAILED"; tail -50 "$work/$name.log"; return 1
  fi
}
export -f run_one
echo "$targets" | xargs -P 2 -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$root" "$work"
