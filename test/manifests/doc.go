// Package manifests tests what users deploy: the kustomize trees under config/ render, the
// operator's Deployment and RBAC are locked down, the Argo CD wiring orders and registers what it
// must, and the rendered objects and sample campaigns are accepted by a real API server.
package manifests
