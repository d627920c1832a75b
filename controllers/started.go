package controllers

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// WorkerProbe tells when a controller's workers take work. Its source puts one sentinel
// request into the controller's queue as the controller starts; a worker takes it only after
// the controller's caches have synced and its workers run, and the reconciler answers it
// without doing anything else. The manager's /readyz waits for it.
type WorkerProbe struct{ started atomic.Bool }

// probeRequest names no object: object names are never empty.
var probeRequest = reconcile.Request{NamespacedName: types.NamespacedName{Name: ""}}

// Source enqueues the sentinel when the controller starts.
func (p *WorkerProbe) Source() source.Source {
	return source.Func(func(_ context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
		q.Add(probeRequest)
		return nil
	})
}

// Take reports (and records) the sentinel; the reconciler returns at once when it is true.
func (p *WorkerProbe) Take(req reconcile.Request) bool {
	if req != probeRequest {
		return false
	}
	p.started.Store(true)
	return true
}

// Check is a readiness check: it passes once a worker has taken the sentinel.
func (p *WorkerProbe) Check(*http.Request) error {
	if !p.started.Load() {
		return errors.New("controller workers have not started")
	}
	return nil
}
