// Package chaos runs the whole operator on one machine (localsystem: a real control plane with
// Kubernetes' Job and garbage-collection controllers, PostgreSQL, the pod runner and the worker
// against the provider fakes) and injects faults from outside — manager SIGKILLs, a leader
// failover, PostgreSQL and kube-apiserver outages, deleted and recreated months and campaigns,
// pods deleted mid-run, a missing Secret, an unpullable image, a key with a trailing newline.
// Every test ends with the same invariants (internal/dev/invariants). Faults are global, so the
// tests run one after another on one system, each campaign in its own namespace.
package chaos

import (
	"testing"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

var sys *localsystem.System

func TestMain(m *testing.M) {
	localsystem.Main(m, &sys, localsystem.Suite{Name: "chaos", KeepEnv: "CHAOS_KEEP",
		Options: func(string) (localsystem.Options, error) {
			return localsystem.Options{Fakes: fakes.Options{ISBNdbRate: 100}}, nil
		}})
}
