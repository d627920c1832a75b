package bench

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// requestCounter counts the HTTP requests a manager sends to the API server, by verb and
// resource ("POST backfillmonths", "PUT backfillcampaigns/status", "WATCH jobs", ...), with
// the status code appended to failed ones ("PUT backfillcampaigns/status (409)").
// Request counts do not depend on how busy the machine is, unlike times.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func newRequestCounter() *requestCounter { return &requestCounter{counts: map[string]int{}} }

func (c *requestCounter) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		kind := requestKind(req)
		switch {
		case err != nil:
			kind += " (error)"
		case resp.StatusCode >= 400:
			kind += " (" + strconv.Itoa(resp.StatusCode) + ")"
		}
		c.mu.Lock()
		c.counts[kind]++
		c.mu.Unlock()
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// requests is a snapshot of counts by kind.
type requests map[string]int

func (c *requestCounter) snapshot() requests {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(requests, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// since is what was counted after the earlier snapshot.
func (c *requestCounter) since(earlier requests) requests {
	out := requests{}
	for k, v := range c.snapshot() {
		if d := v - earlier[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

func (r requests) total() int {
	n := 0
	for _, v := range r {
		n += v
	}
	return n
}

func (r requests) String() string {
	kinds := make([]string, 0, len(r))
	for k := range r {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		parts = append(parts, k+"="+strconv.Itoa(r[k]))
	}
	return strings.Join(parts, " ")
}

// requestKind names a request by verb and resource from its REST path:
// /api/v1/namespaces/NS/RESOURCE[/NAME[/SUBRESOURCE]] or /apis/GROUP/VERSION/....
func requestKind(req *http.Request) string {
	segs := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	switch {
	case len(segs) > 0 && segs[0] == "api":
		segs = segs[min(2, len(segs)):]
	case len(segs) > 0 && segs[0] == "apis":
		segs = segs[min(3, len(segs)):]
	default:
		return req.Method + " " + req.URL.Path
	}
	if len(segs) >= 2 && segs[0] == "namespaces" && len(segs) > 2 {
		segs = segs[2:]
	}
	verb := req.Method
	if verb == http.MethodGet {
		switch {
		case req.URL.Query().Get("watch") == "true" || req.URL.Query().Get("watch") == "1":
			verb = "WATCH"
		case len(segs) == 1:
			verb = "LIST"
		}
	}
	resource := strings.Join(segs[:min(1, len(segs))], "")
	if len(segs) >= 3 {
		resource += "/" + segs[2]
	}
	return verb + " " + resource
}

// reconciles is how many passes the named controller has finished in this process, from
// controller-runtime's own counter (all managers of the process add to it; callers take
// differences).
func reconciles(controller string) float64 {
	families, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		return 0
	}
	var n float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == controller {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}
