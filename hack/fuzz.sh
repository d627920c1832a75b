#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time each (CI keeps them honest; run
# longer by hand with FUZZ_TIME=5m make fuzz).
set -euo pipefail
fuzztime="${1:-10s}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mapfile -t files < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' || true)
count=0
for f in "${files[@]}"; do
	pkg="./$(dirname "$f")"
	for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
		echo "fuzz ${pkg} ${target} for ${fuzztime}"
		go test "${pkg}" -run '^$' -fuzz "^${target}\$" -fuzztime "${fuzztime}"
		count=$((count + 1))
	done
done
echo "fuzzed ${count} targets"
