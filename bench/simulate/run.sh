#!/usr/bin/env bash
# Time `accord simulate` on 1,000,000 leads to Parquet; results go to bench/simulate/RESULTS.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec python "$here/run.py" "$@"
