#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager)
# from Go modules into bin/k8s/, for envtest (KUBEBUILDER_ASSETS=bin/k8s) and
# internal/dev/devcluster. No download site is reachable here, so the binaries come
# from the module proxy through the wrapper modules in hack/tools/{k8s,etcd}.
# Only missing binaries are built; delete one to rebuild it. The first
# kube-apiserver build takes several minutes on 2 cores; later ones hit GOCACHE.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${repo}/bin/k8s"
k8s_version="v1.37.2"
mkdir -p "${out}"

log() { printf '[build-control-plane %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

missing_k8s=()
for bin in kube-apiserver kube-controller-manager; do
	[[ -x "${out}/${bin}" ]] || missing_k8s+=("k8s.io/kubernetes/cmd/${bin}")
done

if ((${#missing_k8s[@]} > 0)); then
	log "building ${missing_k8s[*]##*/} ${k8s_version} (several minutes when the build cache is cold)"
	start=$SECONDS
	(
		cd "${repo}/hack/tools/k8s"
		# Unstamped, the server reports v0.0.0-master and kubectl version fails.
		go build -ldflags "-X k8s.io/component-base/version.gitVersion=${k8s_version} \
-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 -s -w" \
			-o "${out}/" "${missing_k8s[@]}"
	)
	log "built ${missing_k8s[*]##*/} in $((SECONDS - start))s"
else
	log "kube-apiserver and kube-controller-manager already in ${out}"
fi

if [[ ! -x "${out}/etcd" ]]; then
	log "building etcd"
	start=$SECONDS
	(cd "${repo}/hack/tools/etcd" && go build -ldflags "-s -w" -o "${out}/etcd" go.etcd.io/etcd/server/v3)
	log "built etcd in $((SECONDS - start))s"
else
	log "etcd already in ${out}"
fi

"${out}/kube-apiserver" --version
etcd_version="$("${out}/etcd" --version)"
echo "${etcd_version%%$'\n'*}" # first line only; a pipe into head could die of SIGPIPE under pipefail
log "done: export KUBEBUILDER_ASSETS=${out}"
