package controllers

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Readiness waits for a worker to take the sentinel the probe's source put into the queue;
// an ordinary request is not taken for it.
func TestWorkerProbe(t *testing.T) {
	var p WorkerProbe
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	if err := p.Source().Start(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if p.Check(nil) == nil {
		t.Fatal("ready before any worker took work")
	}
	month := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "c-2020-01"}}
	if p.Take(month) || p.Check(nil) == nil {
		t.Fatal("a month's request was taken for the sentinel")
	}
	if q.Len() != 1 {
		t.Fatalf("the source queued %d requests, want the sentinel alone", q.Len())
	}
	req, _ := q.Get()
	if !p.Take(req) {
		t.Fatalf("the queued request %v is not the sentinel", req)
	}
	if err := p.Check(nil); err != nil {
		t.Fatalf("not ready after a worker took the sentinel: %v", err)
	}
}
