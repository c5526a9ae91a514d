#!/usr/bin/env bash
# Import benchmark: imports the MovieLens 1M sequential file (train.txt) into a fresh embedded
# PostgreSQL in a temporary folder, then imports it again, and prints both summaries.
#
# Usage: npm run bench:import [-- <path to train.txt>]
# Without an argument the file is read from $QREC_DATASETS_DIR/ml-1m/train.txt, where
# QREC_DATASETS_DIR defaults to the shared/datasets folder beside the repository.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
datasets="${QREC_DATASETS_DIR:-$(dirname "$root")/shared/datasets}"
input="${1:-$datasets/ml-1m/train.txt}"
if [[ ! -f "$input" ]]; then
  echo "bench-import: $input not found; pass the path of train.txt as the first argument" >&2
  exit 1
fi

cd "$root"
npx tsc -p tsconfig.build.json

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# As root, the embedded server runs as the "postgres" user, which must enter this folder.
chmod 755 "$work"
export EMBEDDED_PG_DATA_DIR="$work/postgres"
unset DATABASE_URL

qrec() {
  node dist/src/cli/main.js "$@"
}

# Initialise the cluster and the schema first, so the timed runs measure only the import.
qrec migrate

for run in first second; do
  echo "== $run import of $input"
  started=$(date +%s.%N)
  qrec import "$input" --format sequential --no-progress
  finished=$(date +%s.%N)
  awk -v s="$started" -v f="$finished" 'BEGIN { printf "wall time including server start and stop: %.1f s\n", f - s }'
done
