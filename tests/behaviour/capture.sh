#!/usr/bin/env bash
# Capture the --json outputs of the commands the "behaviour kept" test compares, on a fixed
# simulated company (seed 3, 3,000 leads). Run from a checkout: bash tests/behaviour/capture.sh OUTDIR
set -euo pipefail
out=${1:?usage: capture.sh OUTDIR}
mkdir -p "$out"
ws=$(mktemp -d)
accord demo "$ws/demo" --leads 3000 --seed 3 --json > "$out/demo.json"
cd "$ws/demo"
accord run --json > "$out/run.json"
accord funnel --json > "$out/funnel.json"
accord funnel --by channel --json > "$out/funnel_by_channel.json"
accord kpis --json > "$out/kpis.json"
accord kpis --by channel --json > "$out/kpis_by_channel.json"
accord sla --json > "$out/sla.json"
accord sla --breaches --json > "$out/sla_breaches.json"
accord insights --json > "$out/insights.json"
accord attribution --compare --json > "$out/attribution_compare.json"
accord attribution --json > "$out/attribution.json"
rm -rf "$ws"
