package manager

import (
	"net/http"
	"net/http/pprof"
)

// pprofHandlers are net/http/pprof's endpoints for the metrics server, which puts its
// authentication and authorization filter in front of each.
func pprofHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"/debug/pprof/":        http.HandlerFunc(pprof.Index), // and the named profiles: heap, goroutine, allocs …
		"/debug/pprof/cmdline": http.HandlerFunc(pprof.Cmdline),
		"/debug/pprof/profile": http.HandlerFunc(pprof.Profile),
		"/debug/pprof/symbol":  http.HandlerFunc(pprof.Symbol),
		"/debug/pprof/trace":   http.HandlerFunc(pprof.Trace),
	}
}
