# backfill-operator — every task a person does is a target here.

IMG ?= backfill-operator:dev
# The release version has one home: the chart's appVersion (also dist/install.yaml's image tag).
VERSION ?= $(shell sed -n 's/^appVersion: *"*\([^"]*\)"*/\1/p' charts/backfill-operator/Chart.yaml)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
# Every timestamp in the image is the commit's time, so a rebuild of one commit is identical.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
IMAGE_REPO ?= ghcr.io/ooheynerds/backfill-operator
PLATFORMS := linux/amd64 linux/arm64
LDFLAGS := -X github.com/ooheynerds/backfill-operator/internal/version.Version=$(VERSION) \
	-X github.com/ooheynerds/backfill-operator/internal/version.Revision=$(REVISION)
GOBUILD := CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)"
# What ships is stripped of the symbol table and DWARF, as the Dockerfile builds it (a third smaller).
RELEASE_GOBUILD := CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $(LDFLAGS)"
DIST := $(CURDIR)/dist
BIN := $(CURDIR)/bin
ASSETS := $(BIN)/k8s
GO_TEST_FLAGS ?= -count=1 -timeout 60m
FUZZ_TIME ?= 10s
export KUBEBUILDER_ASSETS := $(ASSETS)

.PHONY: all
all: build

##@ Development

.PHONY: generate
generate: ## Generate deepcopy code from the API types.
	go tool controller-gen object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: ## Generate CRDs and RBAC from markers.
	go tool controller-gen crd rbac:roleName=manager-role paths=./api/... paths=./controllers/... \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	@# The namespaced overlay grants the same rules per watched namespace, as a Role.
	sed -e 's/^kind: ClusterRole$$/kind: Role/' config/rbac/role.yaml > config/namespaced/campaigns/manager_role.yaml

.PHONY: verify-generated
verify-generated: generate manifests install-manifest chart-files ## Fail when generated code, dist/install.yaml or the chart's copies are stale.
	@git diff --exit-code -- api config/crd config/rbac config/namespaced dist/install.yaml charts || \
		{ echo "generated files are stale: run 'make generate manifests' and commit"; exit 1; }

.PHONY: fmt
fmt: ## gofmt the tree.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: lint
lint: vet ## gofmt check, go vet and staticcheck.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	go tool staticcheck ./...

##@ Test

.PHONY: control-plane
control-plane: ## Build (once) etcd, kube-apiserver and kube-controller-manager into bin/k8s.
	hack/build-control-plane.sh

.PHONY: promtool
promtool: ## Build (once) promtool from the Prometheus module into bin/promtool.
	hack/build-promtool.sh

.PHONY: kueue
kueue: ## Build (once) the Kueue manager v0.17.0 and copy its CRDs and webhooks into bin/kueue (the e2e test of queued campaigns).
	hack/build-kueue.sh

.PHONY: test-rules
test-rules: promtool ## promtool check/test of the alerts, and the dashboard's queries.
	go test $(GO_TEST_FLAGS) -run 'Rules|Alert|Dashboard|Exported' ./internal/metrics/

.PHONY: test
test: control-plane promtool kueue ## All tests: unit, integration (real API server + PostgreSQL), end-to-end, brief fuzzing.
	go test $(GO_TEST_FLAGS) ./...
	$(MAKE) fuzz

.PHONY: test-unit
test-unit: ## Only the tests that need no control plane.
	go test $(GO_TEST_FLAGS) -short ./...

.PHONY: test-chaos
test-chaos: control-plane ## Fault injection on the whole local system (part of `make test`).
	go test $(GO_TEST_FLAGS) -v ./test/chaos/...

.PHONY: test-e2e
test-e2e: control-plane promtool kueue build ## End-to-end tests on a local control plane with the pod runner.
	go test $(GO_TEST_FLAGS) -v ./test/e2e/...

.PHONY: fuzz
fuzz: ## Run every fuzz target briefly (FUZZ_TIME each).
	hack/fuzz.sh $(FUZZ_TIME)

.PHONY: bench
bench: control-plane ## Go benchmarks of the hot paths (see docs/benchmarks.md).
	go test -run '^$$' -bench . -benchtime 1x -count 1 ./...

.PHONY: bench-e2e
bench-e2e: control-plane ## The deployed configuration measured from outside (audit log); one fresh local system per benchmark.
	for b in Fanout Live Memory; do \
		go test -run '^$$' -bench "^Benchmark$$b$$" -benchtime 1x -count 1 -timeout 30m ./test/bench/e2e/ || exit 1; \
	done

##@ Build and run

.PHONY: build
build: ## Build the product binary (manager, worker), the kubectl plugin (kubectl-backfill) and the development binary (fakes, local cluster, pod runner, demo).
	$(GOBUILD) -o $(BIN)/backfill-operator ./cmd/backfill-operator
	$(GOBUILD) -o $(BIN)/kubectl-backfill ./cmd/kubectl-backfill
	$(GOBUILD) -o $(BIN)/backfill-dev ./cmd/backfill-dev

.PHONY: release-tool
release-tool: ## Build hack/release (image, install manifest, chart, checksums, krew) into bin/.
	go build -o $(BIN)/release ./hack/release

.PHONY: binaries
binaries: ## Cross-compile the static operator binary for every image platform into bin/<os>_<arch>/.
	@set -e; for p in $(PLATFORMS); do os=$${p%/*}; arch=$${p#*/}; \
		echo "building $$p"; GOOS=$$os GOARCH=$$arch $(RELEASE_GOBUILD) -o $(BIN)/$${os}_$${arch}/backfill-operator ./cmd/backfill-operator; done

.PHONY: image
image: binaries release-tool ## Build the multi-arch OCI image without Docker: dist/image (OCI layout) and docker-load tarballs.
	$(BIN)/release image --version $(VERSION) --revision $(REVISION) --source-date-epoch $(SOURCE_DATE_EPOCH) \
		--repository $(IMAGE_REPO) $(foreach p,$(PLATFORMS),--binary $(p)=$(BIN)/$(subst /,_,$(p))/backfill-operator) \
		--oci-layout $(DIST)/image --tar-dir $(DIST)

.PHONY: install-manifest
install-manifest: release-tool ## Render config/default with the release image into dist/install.yaml.
	$(BIN)/release install-manifest --config config --image $(IMAGE_REPO):$(VERSION) --out dist/install.yaml

.PHONY: chart-files
chart-files: ## Copy into the chart what config/ generates or holds: CRDs, manager and user roles, alert rules and dashboards when present.
	@set -e; f=charts/backfill-operator/files; rm -rf $$f; mkdir -p $$f/crds $$f/user-roles; \
	cp config/crd/bases/*.yaml $$f/crds/; cp config/rbac/role.yaml $$f/manager-role.yaml; \
	cp config/rbac/*_editor_role.yaml config/rbac/*_viewer_role.yaml $$f/user-roles/; \
	if ls config/prometheus/*.yaml >/dev/null 2>&1; then mkdir -p $$f/prometheus; \
		for y in config/prometheus/*.yaml; do grep -q '^kind: PrometheusRule' $$y && cp $$y $$f/prometheus/ || true; done; fi; \
	if ls config/grafana/*.json >/dev/null 2>&1; then mkdir -p $$f/dashboards; \
		cp config/grafana/*.json $$f/dashboards/; fi

.PHONY: chart
chart: release-tool ## helm lint and package charts/backfill-operator into dist/ (Helm's library; no helm binary).
	$(BIN)/release chart --chart charts/backfill-operator --version $(VERSION) --out $(DIST)

.PHONY: release
release: ## Everything a release publishes, into dist/release/VERSION: image tarballs, install.yaml, chart, binaries, kubectl plugins, SHA256SUMS.
	@test -n "$(VERSION)" || { echo "VERSION=vX.Y.Z is required"; exit 1; }
	$(MAKE) image DIST=$(DIST)/release/$(VERSION) VERSION=$(VERSION)
	@set -e; out=$(DIST)/release/$(VERSION); \
	$(BIN)/release install-manifest --config config --image $(IMAGE_REPO):$(VERSION) --out $$out/install.yaml; \
	$(BIN)/release chart --chart charts/backfill-operator --version $(VERSION) --out $$out; \
	for p in $(PLATFORMS); do cp $(BIN)/$${p%/*}_$${p#*/}/backfill-operator $$out/backfill-operator-$(VERSION)-$${p%/*}-$${p#*/}; done; \
	for dir in $$(ls -d cmd/kubectl-* 2>/dev/null); do plugin=$${dir#cmd/}; \
		for os in linux darwin; do for arch in amd64 arm64; do \
			tmp=$$(mktemp -d); GOOS=$$os GOARCH=$$arch $(RELEASE_GOBUILD) -o $$tmp/$$plugin ./$$dir; \
			tar -C $$tmp --sort=name --mtime=@$(SOURCE_DATE_EPOCH) --owner=0 --group=0 --numeric-owner \
				-czf $$out/$$plugin-$(VERSION)-$$os-$$arch.tar.gz $$plugin; rm -rf $$tmp; \
		done; done; \
		$(BIN)/release krew --plugin $$plugin --version $(VERSION) --dir $$out; \
	done; \
	$(BIN)/release checksums --dir $$out; echo "release in $$out"; cat $$out/SHA256SUMS

.PHONY: run
run: manifests build ## Run the manager against the current kubeconfig.
	$(BIN)/backfill-operator manager

.PHONY: demo
demo: control-plane build ## Offline demo: local control plane, PostgreSQL, fakes, manager, pod runner, a phased campaign.
	$(BIN)/backfill-dev demo --binary $(BIN)/backfill-operator

##@ Deploy

.PHONY: install
install: manifests ## Install the CRDs into the current cluster.
	kubectl apply --server-side -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy the operator (IMG=...) into the current cluster.
	cd config/manager && kubectl kustomize . >/dev/null
	kubectl kustomize config/default | sed "s#image: controller:latest#image: $(IMG)#" | kubectl apply --server-side -f -

.PHONY: undeploy
undeploy: ## Remove the operator from the current cluster.
	kubectl delete -k config/default --ignore-not-found

.PHONY: docker-build
docker-build: ## Build the image (needs a Docker engine).
	docker build -t $(IMG) .

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*?##/ { printf "  %-18s %s\n", $$1, $$2 } /^##@/ { printf "\n%s\n", substr($$0, 5) }' $(MAKEFILE_LIST)
