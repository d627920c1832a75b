#!/usr/bin/env bash
# Builds the Kueue manager from its Go module (through the wrapper module in hack/tools/kueue)
# into bin/kueue/manager, and copies the CRDs and webhook manifests of the same module version
# into bin/kueue/config/, for the end-to-end test that runs campaigns' Jobs through a real Kueue
# (docs/kueue.md, internal/dev/kueue). No download site is reachable here, so all of it comes
# from the module proxy; nothing of Kueue is committed. Built once; delete bin/kueue to rebuild.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${repo}/bin/kueue"
log() { printf '[build-kueue %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

cd "${repo}/hack/tools/kueue"
version="$(go list -m -f '{{.Version}}' sigs.k8s.io/kueue)"

if [[ -x "${out}/manager" ]]; then
	log "kueue manager already in ${out}"
else
	log "building the kueue manager ${version} (a few minutes when the build cache is cold)"
	start=$SECONDS
	mkdir -p "${out}"
	# Unstamped, the manager logs version v0.0.0-main.
	go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kueue/pkg/version.GitVersion=${version}" \
		-o "${out}/manager.tmp" sigs.k8s.io/kueue/cmd/kueue
	mv "${out}/manager.tmp" "${out}/manager" # never leave a half-written binary that the check above would trust
	log "built the kueue manager in $((SECONDS - start))s"
fi

# The CRDs and webhook manifests come from the module the manager was built from, so they never
# disagree with it: bin/kueue/config/crd/*.yaml and bin/kueue/config/webhook/manifests.yaml.
if [[ ! -f "${out}/config/.version" || "$(cat "${out}/config/.version")" != "${version}" ]]; then
	dir="$(go mod download -json sigs.k8s.io/kueue | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	[[ -d "${dir}/config/components/crd/bases" ]] || { echo "no CRDs in ${dir}" >&2; exit 1; }
	rm -rf "${out}/config"
	mkdir -p "${out}/config/crd" "${out}/config/webhook"
	cp "${dir}"/config/components/crd/bases/*.yaml "${out}/config/crd/"
	cp "${dir}/config/components/webhook/manifests.yaml" "${out}/config/webhook/"
	chmod -R u+w "${out}/config" # the module cache is read-only
	echo "${version}" >"${out}/config/.version"
	log "copied $(ls "${out}"/config/crd/*.yaml | wc -l) CRDs and the webhook manifests of kueue ${version}"
fi
log "done: ${out}/manager, ${out}/config"
