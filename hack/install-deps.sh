#!/usr/bin/env bash
# Installs the machine packages the tests and the demo need, when they are missing:
# PostgreSQL server binaries (tests start throwaway servers from them) and kubectl.
set -euo pipefail
need=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
command -v git >/dev/null || need+=(git)
command -v make >/dev/null || need+=(make)
# the image carries the machine's CA bundle (internal/image)
[[ -f /etc/ssl/certs/ca-certificates.crt ]] || need+=(ca-certificates)
if ((${#need[@]} > 0)); then
	echo "installing ${need[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
# PostgreSQL refuses to run as root; tests run it as the postgres user, which the package creates.
id postgres >/dev/null 2>&1 || { echo "no postgres user: install the postgresql package" >&2; exit 1; }
if ! command -v kubectl >/dev/null; then
	echo "kubectl missing: building it from the same Kubernetes module as the control plane"
	(cd "$(dirname "${BASH_SOURCE[0]}")/tools/k8s" && go build -o /usr/local/bin/kubectl k8s.io/kubernetes/cmd/kubectl)
fi
