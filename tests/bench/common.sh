# Shared by tests/bench/{ingest,serve,startup}: paths, release builds, the scale corpus, ingested
# databases, and the tools each script needs, installed only where missing. Sourced, not run.
#
# Everything is written under $BENCH_DIR (default target/bench, git-ignored). Every server the
# scripts start listens on 127.0.0.1 only and is stopped on exit.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BENCH_DIR="${BENCH_DIR:-$ROOT/target/bench}"
TOOLS="$ROOT/.tools"
VENV="$TOOLS/venv"
TIP_ATLAS="${TIP_ATLAS:-$ROOT/target/release/tip-atlas}"
CORPUS_BIN="$ROOT/target/release/tip-corpus"
mkdir -p "$BENCH_DIR"

say() { printf '==> %s\n' "$*" >&2; }

# The release binary and the corpus generator (cargo rebuilds only what changed).
build_release() {
  local locked=()
  [[ -f Cargo.lock ]] && locked=(--locked)
  say "cargo build --release (tip-atlas, corpus generator)"
  cargo build --release "${locked[@]}" -p tip-server --bin tip-atlas >&2
  cargo build --release "${locked[@]}" -p tip-corpus --bin tip-corpus >&2
}

# apt_install COMMAND PACKAGE: installs PACKAGE with apt-get when COMMAND is missing.
apt_install() {
  local command="$1" package="$2"
  if ! command -v "$command" >/dev/null 2>&1 && [[ ! -x "$command" ]]; then
    say "installing $package (apt-get) for $command"
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$package" >&2
  fi
}

# The Python venv of tests/run (.tools/venv) with grpcio and the health stubs, installed by
# tests/run itself where missing.
python_env() {
  if ! "$VENV/bin/python" -c 'import grpc, grpc_health.v1' 2>/dev/null; then
    say "installing the test tools (TIP_ATLAS_TOOLS_ONLY=1 tests/run)"
    TIP_ATLAS_TOOLS_ONLY=1 bash "$ROOT/tests/run" >&2
  fi
  PYTHON="$VENV/bin/python"
}

# corpus N: generates the first N documents of the scale corpus into $BENCH_DIR/corpus-N (again
# whenever the generator was rebuilt) and prints the folder.
corpus() {
  local count="$1" dir="$BENCH_DIR/corpus-$1"
  local stamp="$dir/.generated"
  if [[ ! -f "$stamp" || "$CORPUS_BIN" -nt "$stamp" ]]; then
    rm -rf "$dir"
    say "generating $count documents into $dir"
    "$CORPUS_BIN" --count "$count" --out "$dir" >&2
    touch "$stamp"
  fi
  printf '%s\n' "$dir"
}

# database N: a store with the corpus of N documents ingested, at $BENCH_DIR/db-N.sqlite (again
# whenever the corpus or tip-atlas changed); prints its path.
database() {
  local count="$1" db="$BENCH_DIR/db-$1.sqlite"
  local dir
  dir="$(corpus "$count")"
  if [[ ! -f "$db" || "$dir/.generated" -nt "$db" || "$TIP_ATLAS" -nt "$db" ]]; then
    rm -f "$db" "$db-wal" "$db-shm"
    say "ingesting $count documents into $db"
    "$TIP_ATLAS" ingest --db "$db" "$dir" >&2
  fi
  printf '%s\n' "$db"
}

# median of the numbers on standard input.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan" } else if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}
