#!/usr/bin/env bash
# libFuzzer run of every veche-fuzz family for a bounded time (scripts/veche fuzz [seconds], default 60,
# split between the families). Builds veche-fuzz with -sanitize=fuzzer,address into .build-fuzz, the
# protobuf-c runtime too (Debian's source of the installed version, fetched with apt-get source through a
# private apt configuration), starts from fuzz/corpus and fails when an input crashes or breaks a property.
# The crash input and its case are printed; fix it and commit the payload under fuzz/corpus/<case>/ as a
# regression (FuzzRegressionTests replays every file there).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOTAL="${1:-60}"
SCRATCH="$ROOT/.build-fuzz"
PBC="$SCRATCH/protobuf-c"

log() { printf '[fuzz] %s\n' "$*" >&2; }

# Instrumented protobuf-c runtime (static), or nothing (then the system library is linked, uninstrumented).
build_protobuf_c() {
  [ -f "$PBC/lib/libprotobuf-c.a" ] && return 0
  local version; version="$(dpkg-query -W -f='${source:Version}' libprotobuf-c-dev 2>/dev/null)" || return 1
  local apt="$PBC/apt"
  rm -rf "$PBC" && mkdir -p "$apt/lists/partial" "$PBC/src" "$PBC/lib"
  local codename; codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $codename main" >"$apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt/lists" -o Debug::NoLocking=1)
  log "fetching protobuf-c $version source (apt-get source) to instrument it"
  apt-get "${opts[@]}" -qq update >/dev/null 2>&1 || return 1
  (cd "$PBC/src" && apt-get "${opts[@]}" -qq source --download-only "protobuf-c=$version" >/dev/null 2>&1) || return 1
  tar -C "$PBC/src" -xzf "$PBC/src/protobuf-c_${version%-*}.orig.tar.gz" || return 1
  local dir; dir="$(find "$PBC/src" -maxdepth 1 -type d -name 'protobuf-c-*' | head -1)"
  # The Swift toolchain's clang: its libFuzzer is the one swiftc links.
  "$(dirname "$(command -v swift)")/clang" -c -g -O1 -fsanitize=fuzzer-no-link,address -I"$dir" "$dir/protobuf-c/protobuf-c.c" -o "$PBC/protobuf-c.o" || return 1
  ar rcs "$PBC/lib/libprotobuf-c.a" "$PBC/protobuf-c.o"
}

cd "$ROOT"
link=()
if build_protobuf_c; then
  link=(-Xlinker "-L$PBC/lib")
  log "protobuf-c runtime instrumented ($PBC/lib/libprotobuf-c.a)"
else
  rm -rf "$PBC"
  log "could not fetch the protobuf-c source; fuzzing with the system library (not instrumented)"
fi
log "building veche-fuzz: the command-line tool, and the libFuzzer binary with -sanitize=fuzzer,address"
swift build --product veche-fuzz 2>&1 | grep -Ev '^(\[|Building|Compiling|Write|Emitting)' >&2 || true
TOOL="$(swift build --show-bin-path)/veche-fuzz"
swift build --scratch-path "$SCRATCH" --product veche-fuzz --sanitize=fuzzer --sanitize=address \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DVECHE_LIBFUZZER -Xswiftc -use-ld=lld "${link[@]}" 2>&1 | grep -Ev '^(\[|Building|Compiling|Write|Emitting)' >&2 || true
BIN="$(swift build --scratch-path "$SCRATCH" --show-bin-path)/veche-fuzz"
[ -x "$BIN" ] && [ -x "$TOOL" ] || { log "build failed"; exit 1; }

rm -rf "$SCRATCH/seeds" && "$TOOL" corpus "$ROOT/fuzz/corpus" "$SCRATCH/seeds"
families=(proto json url)
per=$(( TOTAL / ${#families[@]} )); [ "$per" -ge 1 ] || per=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
status=0
printf '%-8s %6s %8s %12s %8s %s\n' family cases seconds executions coverage result
for family in "${families[@]}"; do
  work="$SCRATCH/corpus/$family" artifacts="$SCRATCH/artifacts/$family/"
  mkdir -p "$work" "$artifacts"
  cases="$("$TOOL" list | grep -c "^$family/")"
  logf="$SCRATCH/$family.log"
  dict=(); [ -f "$ROOT/fuzz/$family.dict" ] && dict=(-dict="$ROOT/fuzz/$family.dict")
  if VECHE_FUZZ_FAMILY="$family" "$BIN" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       "${dict[@]}" -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "$SCRATCH/seeds/$family" >"$logf" 2>&1; then
    result=ok
  else
    result="FAILED (log: $logf)"
    status=1
  fi
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logf" | grep -o '[0-9]*$' | tail -1)"
  cov="$(grep -o 'cov: [0-9]*' "$logf" | tail -1 | grep -o '[0-9]*$')"
  printf '%-8s %6s %8s %12s %8s %s\n' "$family" "$cases" "$per" "${execs:-?}" "${cov:-?}" "$result"
  if [ "$result" != ok ]; then
    grep -E 'Fatal error|ERROR: AddressSanitizer|ERROR: LeakSanitizer|ERROR: libFuzzer|SUMMARY' "$logf" | head -5 >&2 || true
    for crash in "$artifacts"*; do [ -f "$crash" ] && case "$crash" in *.payload) ;; *) "$TOOL" explain "$family" "$crash" >&2 ;; esac; done
  fi
done
exit "$status"
