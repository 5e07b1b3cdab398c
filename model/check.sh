#!/usr/bin/env bash
# Runs the bounded check of model/protocol.pml: the clean model first, then every mutation of model/runs.txt.
# Exits non-zero if the clean model has an error or a mutation that must fail finds none.
# Usage: model/check.sh [run-name ...]     (no names: every run in runs.txt)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in spin gcc; do
  command -v "$tool" >/dev/null || { echo "check.sh: '$tool' is not installed (apt-get install -y spin gcc)" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/appliance-spin.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp "$here/protocol.pml" "$work/"

failed=0
run() {
  local name="$1" defines="$2" panflags="$3" expect="$4"
  local dir="$work/$name"
  mkdir -p "$dir" && cp "$work/protocol.pml" "$dir/" && cd "$dir" || return 1
  # shellcheck disable=SC2086
  if ! spin $defines -a protocol.pml >spin.out 2>&1; then
    echo "$name: spin failed: $(tail -1 spin.out)"; failed=1; return
  fi
  # -O0: the compile takes seconds instead of most of a minute, and the searches are small enough to pay for it.
  local cflags="-O0 -DSAFETY -DMEMLIM=1500"
  [[ "$panflags" == *BFS* ]] && cflags="$cflags -DBFS"
  if ! gcc $cflags -o pan pan.c >gcc.out 2>&1; then
    echo "$name: gcc failed: $(grep -m1 error gcc.out)"; failed=1; return
  fi
  local flags="${panflags//BFS/}"
  # shellcheck disable=SC2086
  ./pan $flags >pan.out 2>&1
  local errors states elapsed memory
  errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.out | head -1)
  states=$(sed -n 's/^ *\([0-9e.+]*\) states, stored.*/\1/p' pan.out | head -1)
  elapsed=$(sed -n 's/^pan: elapsed time \([0-9.e+]*\).*/\1/p' pan.out | head -1)
  memory=$(sed -n 's/^ *\([0-9.]*\).*total actual memory usage.*/\1/p' pan.out | head -1)
  local stats="errors: ${errors:-?}, ${states:-?} states, ${elapsed:-?} s, ${memory:-?} MB"
  if [[ -z "$errors" ]]; then
    echo "$name: pan did not finish: $(tail -2 pan.out | tr '\n' ' ')"; failed=1; return
  fi
  local trail=""
  if [[ "$errors" != 0 && -f protocol.pml.trail ]]; then
    local what
    what=$(grep -m1 -o 'assertion violated [A-Za-z]*' pan.out | sed 's/assertion violated //')
    # shellcheck disable=SC2086
    trail=$(spin $defines -t protocol.pml 2>/dev/null | sed -n 's/^ *TRAIL *//p' | grep -v '^ *n[0-9] up ' | paste -sd ';' | sed 's/;/; /g')
    trail=" -- $what: $trail"
  fi
  if [[ "$expect" == clean && "$errors" != 0 ]] || [[ "$expect" == error && "$errors" == 0 ]]; then
    echo "FAIL $name (expected $expect): $stats$trail"; failed=1
  else
    echo "ok   $name (expected $expect): $stats$trail"
  fi
  if grep -q 'Search not completed' pan.out && [[ "$errors" == 0 ]]; then
    echo "     $name: warning: search not completed (depth or memory limit)"; failed=1
  fi
}

wanted=("$@")
while IFS='|' read -r name defines panflags expect; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  if ((${#wanted[@]})); then
    printf '%s\n' "${wanted[@]}" | grep -qx "$name" || continue
  fi
  run "$name" "$defines" "$panflags" "$expect"
done <"$here/runs.txt"
exit $failed
