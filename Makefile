# backfill-operator — every task a person does is a target here.

IMG ?= backfill-operator:dev
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

.PHONY: verify-generated
verify-generated: generate manifests ## Fail when generated code is stale.
	@git diff --exit-code -- api config/crd config/rbac || \
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

.PHONY: test-rules
test-rules: promtool ## promtool check/test of the alerts, and the dashboard's queries.
	go test $(GO_TEST_FLAGS) -run 'Rules|Alert|Dashboard|Exported' ./internal/metrics/

.PHONY: test
test: control-plane promtool ## All tests: unit, integration (real API server + PostgreSQL), end-to-end, brief fuzzing.
	go test $(GO_TEST_FLAGS) ./...
	$(MAKE) fuzz

.PHONY: test-unit
test-unit: ## Only the tests that need no control plane.
	go test $(GO_TEST_FLAGS) -short ./...

.PHONY: test-e2e
test-e2e: control-plane promtool build ## End-to-end tests on a local control plane with the pod runner.
	go test $(GO_TEST_FLAGS) -v ./test/e2e/...

.PHONY: fuzz
fuzz: ## Run every fuzz target briefly (FUZZ_TIME each).
	hack/fuzz.sh $(FUZZ_TIME)

.PHONY: bench
bench: control-plane ## Go benchmarks of the hot paths (see docs/benchmarks.md).
	go test -run '^$$' -bench . -benchtime 1x -count 1 ./...

##@ Build and run

.PHONY: build
build: ## Build the operator binary (manager, worker and dev commands).
	CGO_ENABLED=0 go build -o $(BIN)/backfill-operator ./cmd/backfill-operator

.PHONY: run
run: manifests build ## Run the manager against the current kubeconfig.
	$(BIN)/backfill-operator manager

.PHONY: demo
demo: control-plane build ## Offline demo: local control plane, PostgreSQL, fakes, manager, pod runner, a phased campaign.
	$(BIN)/backfill-operator dev demo

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
