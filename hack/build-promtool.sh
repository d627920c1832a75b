#!/usr/bin/env bash
# Builds promtool from the Prometheus Go module (through the wrapper module in
# hack/tools/prometheus) into bin/promtool, for `make test-rules` and the end-to-end
# scrape check, and bin/promql-metrics (Prometheus' PromQL parser, for the tests that check
# the dashboard's and alerts' queries). No download site is reachable here, so the binary comes from the module
# proxy. Built once; delete bin/promtool to rebuild it.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${repo}/bin/promtool"
log() { printf '[build-promtool %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

if [[ ! -x "${repo}/bin/promql-metrics" ]]; then
	mkdir -p "${repo}/bin"
	(cd "${repo}/hack/tools/prometheus" && go build -o "${repo}/bin/promql-metrics.tmp" ./promql-metrics)
	mv "${repo}/bin/promql-metrics.tmp" "${repo}/bin/promql-metrics"
	log "built promql-metrics"
fi
if [[ -x "${out}" ]]; then
	log "promtool already in ${out}"
	exit 0
fi
log "building promtool (a few minutes when the build cache is cold)"
start=$SECONDS
mkdir -p "${repo}/bin"
(
	cd "${repo}/hack/tools/prometheus"
	# unstamped, promtool --version prints an empty version
	version="$(go list -m -f '{{.Version}}' github.com/prometheus/prometheus)"
	go build -ldflags "-s -w -X github.com/prometheus/common/version.Version=${version}" \
		-o "${out}.tmp" github.com/prometheus/prometheus/cmd/promtool
)
mv "${out}.tmp" "${out}" # never leave a half-written binary that the check above would trust
log "built promtool in $((SECONDS - start))s"
"${out}" --version | sed -n 1p
