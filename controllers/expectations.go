package controllers

import (
	"strconv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// expectations remember the month writes a campaign pass made until the informer cache shows
// them, so that the next pass does not decide from a cache that predates them (it would admit
// past the concurrency limit, or create months twice). A restarted manager starts with a
// fresh cache and needs none.
type expectations struct {
	mu      sync.Mutex
	pending map[types.NamespacedName]expected
}

type expected struct {
	// written maps a month name to the resourceVersion our create or update returned.
	written map[string]string
	since   time.Time
}

// expectationTimeout drops expectations a deleted object can never meet.
const expectationTimeout = time.Minute

func (e *expectations) set(campaign types.NamespacedName, x expected) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pending == nil {
		e.pending = map[types.NamespacedName]expected{}
	}
	if len(x.written) == 0 {
		delete(e.pending, campaign)
		return
	}
	e.pending[campaign] = x
}

// met reports whether the cached months reflect the campaign's last writes.
func (e *expectations) met(campaign types.NamespacedName, byName map[string]*v1alpha1.BackfillMonth, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	x, ok := e.pending[campaign]
	if !ok {
		return true
	}
	if now.Sub(x.since) > expectationTimeout {
		delete(e.pending, campaign)
		return true
	}
	for name, rv := range x.written {
		m := byName[name]
		if m == nil || !atLeast(m.ResourceVersion, rv) {
			return false
		}
	}
	delete(e.pending, campaign)
	return true
}

// atLeast compares resourceVersions. They are opaque by contract, but etcd-backed servers use
// increasing integers; other versions must match exactly (the timeout bounds the wait).
func atLeast(have, want string) bool {
	h, err1 := strconv.ParseUint(have, 10, 64)
	w, err2 := strconv.ParseUint(want, 10, 64)
	if err1 != nil || err2 != nil {
		return have == want
	}
	return h >= w
}
