package fakes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Provider names, as used by SetFaults, /_fake/faults and /_fake/calls (the API's).
const (
	ProviderGemini = v1alpha1.ProviderGemini
	ProviderXAI    = v1alpha1.ProviderXAI
)

// Providers lists every faked API in a fixed order.
func Providers() []string {
	return []string{ProviderGemini, ProviderXAI, SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary, SourceLOC, SourceWikidata, SourceArchive}
}

// Defaults for ISBNdb's Premium plan (providers.md §1, seed-source.md §10).
const (
	DefaultISBNdbRate       = 3.0
	DefaultISBNdbDailyQuota = 15000
)

// Options configure a fake server.
type Options struct {
	// Addr to listen on; "" means 127.0.0.1:0 (a free loopback port).
	Addr string
	// Seed makes fault injection reproducible.
	Seed uint64
	// Faults per provider name at start, and again after a reset.
	Faults map[string]Faults
	// ISBNdbRate is the per-key request rate in req/s (0 means DefaultISBNdbRate).
	ISBNdbRate float64
	// ISBNdbDailyQuota is calls per key per UTC day (0 means DefaultISBNdbDailyQuota).
	ISBNdbDailyQuota int
	// Clock supplies the time for rate limits, quota days and timestamps (nil means time.Now).
	Clock func() time.Time
	// Catalog to serve (nil means DefaultCatalog()).
	Catalog *Catalog
}

// Limits are ISBNdb's plan limits, adjustable at run time through /_fake/limits.
type Limits struct {
	ISBNdbRatePerSecond float64 `json:"isbndbRatePerSecond"`
	ISBNdbDailyQuota    int     `json:"isbndbDailyQuota"`
}

// Server is a running set of fakes on one loopback listener.
type Server struct {
	opts     Options
	catalog  *Catalog
	now      func() time.Time
	listener net.Listener
	http     *http.Server
	url      string

	mu        sync.Mutex
	providers map[string]*providerState
	limits    Limits
	keys      map[string]*keyState // ISBNdb per-key limiter and quota
}

type providerState struct {
	faults      Faults
	calls       int
	sinceFaults int
}

type keyState struct {
	limiter *rate.Limiter
	day     string
	spent   int
}

// Start listens and serves until ctx is done or Close is called.
func Start(ctx context.Context, opts Options) (*Server, error) {
	for name, f := range opts.Faults {
		if !slices.Contains(Providers(), name) {
			return nil, fmt.Errorf("faults for unknown provider %q", name)
		}
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("faults for %s: %w", name, err)
		}
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	s := &Server{opts: opts, catalog: opts.Catalog, now: opts.Clock}
	if s.catalog == nil {
		s.catalog = DefaultCatalog()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.resetLocked()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	s.listener = ln
	s.url = "http://" + ln.Addr().String()
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = s.Close()
	}()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() error {
	err := s.http.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// URL is the server root, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.url }

// GeminiBaseURL is for genai.HTTPOptions.BaseURL; the SDK appends "v1beta/models/…".
func (s *Server) GeminiBaseURL() string { return s.url + "/gemini/" }

// XAIBaseURL is for openai-go's option.WithBaseURL; the SDK appends "chat/completions".
func (s *Server) XAIBaseURL() string { return s.url + "/xai/v1/" }

// ISBNdbBaseURL stands for https://api.premium.isbndb.com; append "/book/{isbn}", "/books", ….
func (s *Server) ISBNdbBaseURL() string { return s.url + "/isbndb" }

// GoogleBooksBaseURL stands for https://www.googleapis.com/books/v1; append "/volumes?q=…".
func (s *Server) GoogleBooksBaseURL() string { return s.url + "/googlebooks/books/v1" }

// OpenLibraryBaseURL stands for https://openlibrary.org; append "/search.json", "/isbn/{isbn}.json".
func (s *Server) OpenLibraryBaseURL() string { return s.url + "/openlibrary" }

// LOCBaseURL stands for the SRU endpoint http://lx2.loc.gov:210/lcdb itself (the service has one
// endpoint); add "?version=1.1&operation=searchRetrieve&…".
func (s *Server) LOCBaseURL() string { return s.url + "/loc/lcdb" }

// WikidataBaseURL stands for the endpoint https://query.wikidata.org/sparql itself; add "?query=…".
func (s *Server) WikidataBaseURL() string { return s.url + "/wikidata/sparql" }

// ArchiveBaseURL stands for https://archive.org; append "/advancedsearch.php?q=…".
func (s *Server) ArchiveBaseURL() string { return s.url + "/archive" }

// BaseURLs maps provider names to their base URLs (what the command prints).
func (s *Server) BaseURLs() map[string]string {
	return map[string]string{
		"url": s.URL(), ProviderGemini: s.GeminiBaseURL(), ProviderXAI: s.XAIBaseURL(),
		SourceISBNdb: s.ISBNdbBaseURL(), SourceGoogleBooks: s.GoogleBooksBaseURL(),
		SourceOpenLibrary: s.OpenLibraryBaseURL(), SourceLOC: s.LOCBaseURL(),
		SourceWikidata: s.WikidataBaseURL(), SourceArchive: s.ArchiveBaseURL(),
	}
}

// Catalog is the ground truth the server answers from.
func (s *Server) Catalog() *Catalog { return s.catalog }

// SetFaults replaces one provider's faults; its quotaExhaustedAfter count restarts.
func (s *Server) SetFaults(provider string, f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.providers[provider]
	if !ok {
		return fmt.Errorf("unknown provider %q (known: %v)", provider, Providers())
	}
	p.faults = f
	p.sinceFaults = 0
	return nil
}

// Faults returns every provider's current faults.
func (s *Server) Faults() map[string]Faults {
	return perProvider(s, func(p *providerState) Faults { return p.faults })
}

// Calls returns requests received per provider since the last reset, failed ones included.
func (s *Server) Calls() map[string]int {
	return perProvider(s, func(p *providerState) int { return p.calls })
}

// perProvider is one field of every provider's state, read at one moment.
func perProvider[T any](s *Server, field func(*providerState) T) map[string]T {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]T{}
	for name, p := range s.providers {
		out[name] = field(p)
	}
	return out
}

// SetLimits changes ISBNdb's rate and daily quota; existing keys keep what they have spent.
func (s *Server) SetLimits(l Limits) error {
	if l.ISBNdbRatePerSecond <= 0 || l.ISBNdbDailyQuota <= 0 {
		return fmt.Errorf("isbndbRatePerSecond and isbndbDailyQuota must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
	for _, k := range s.keys {
		k.limiter.SetLimitAt(s.now(), rate.Limit(l.ISBNdbRatePerSecond))
		k.limiter.SetBurstAt(s.now(), burstFor(l.ISBNdbRatePerSecond))
	}
	return nil
}

// Limits returns ISBNdb's current limits.
func (s *Server) Limits() Limits {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limits
}

// Reset zeroes call counts, ISBNdb quotas and rate limiters, and restores the start-up faults
// and limits.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.providers = map[string]*providerState{}
	for _, name := range Providers() {
		s.providers[name] = &providerState{faults: s.opts.Faults[name]}
	}
	s.limits = Limits{ISBNdbRatePerSecond: s.opts.ISBNdbRate, ISBNdbDailyQuota: s.opts.ISBNdbDailyQuota}
	if s.limits.ISBNdbRatePerSecond <= 0 {
		s.limits.ISBNdbRatePerSecond = DefaultISBNdbRate
	}
	if s.limits.ISBNdbDailyQuota <= 0 {
		s.limits.ISBNdbDailyQuota = DefaultISBNdbDailyQuota
	}
	s.keys = map[string]*keyState{}
}

func burstFor(perSecond float64) int { return max(1, int(perSecond)) }

// isbndbAdmit records one ISBNdb call against the key and says whether the plan lets it through.
// Every request is billed, refused ones too, as the real service does.
func (s *Server) isbndbAdmit(key string) (quotaLeft bool, rateOK bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k, ok := s.keys[key]
	if !ok {
		k = &keyState{limiter: rate.NewLimiter(rate.Limit(s.limits.ISBNdbRatePerSecond), burstFor(s.limits.ISBNdbRatePerSecond))}
		s.keys[key] = k
	}
	day := now.UTC().Format(time.DateOnly)
	if k.day != day {
		k.day, k.spent = day, 0
	}
	k.spent++
	if k.spent > s.limits.ISBNdbDailyQuota {
		return false, false
	}
	return true, k.limiter.AllowN(now, 1)
}

func (s *Server) isbndbUsage(key string) (total, spent int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	total = s.limits.ISBNdbDailyQuota
	if k, ok := s.keys[key]; ok && k.day == s.now().UTC().Format(time.DateOnly) {
		spent = min(k.spent, total)
	}
	return total, spent
}

// decision is what the fault layer decided for one request.
type decision struct {
	faults    Faults
	request   int
	exhausted bool
}

func (s *Server) admit(provider string) decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.providers[provider]
	p.calls++
	p.sinceFaults++
	d := decision{faults: p.faults, request: p.calls}
	if q := p.faults.QuotaExhaustedAfter; q != nil && p.sinceFaults > *q {
		d.exhausted = true
	}
	return d
}

func (s *Server) chance(provider string, d decision, what string) float64 {
	return chance(s.opts.Seed, provider, d.request, what)
}

// recorder buffers a handler's answer so the fault layer can cut it short.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

// fake wraps one provider: counting, latency, outage, auth, injected errors and truncation, in
// the order a client would meet them.
type fake struct {
	name string
	// auth rejects a request the way the real API does, or returns false to let it through.
	auth func(w http.ResponseWriter, r *http.Request) (rejected bool)
	// fail writes the provider's own error for an injected failure.
	fail func(w http.ResponseWriter, kind failure, retryAfter int)
	// routes are the API's endpoints, as http.ServeMux patterns.
	routes map[string]http.HandlerFunc
	// notFound answers every other path, as the real API does.
	notFound http.HandlerFunc
	// limit applies plan limits after auth (ISBNdb only).
	limit func(w http.ResponseWriter, r *http.Request) (rejected bool)
	// diagnostic writes a 200 answer that reports a problem instead of results; nil means a
	// JSON status object.
	diagnostic func(w http.ResponseWriter)
}

// portalPage is what a client meets behind a captive portal or a proxy in maintenance: a web
// page with status 200 where the API's answer should be.
const portalPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Network login</title></head>
<body><h1>Welcome to the guest network</h1>
<p>Please sign in to continue. Our service is undergoing scheduled maintenance; try again later.</p>
<form method="post" action="/login"><input name="user"><input type="password" name="pass"></form>
</body></html>
`

type failure int

const (
	failOutage failure = iota
	failServer
	failRateLimit
	failQuota
)

func (s *Server) serveFake(f fake) http.Handler {
	api := http.NewServeMux()
	for pattern, h := range f.routes {
		api.HandleFunc(pattern, h)
	}
	api.HandleFunc("/", f.notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := s.admit(f.name)
		if d.faults.Outage {
			f.fail(w, failOutage, 0)
			return
		}
		if delay := time.Duration(d.faults.LatencyMS)*time.Millisecond +
			time.Duration(s.chance(f.name, d, "jitter")*float64(d.faults.JitterMS))*time.Millisecond; delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-r.Context().Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if f.auth != nil && f.auth(w, r) {
			return
		}
		if f.limit != nil && f.limit(w, r) {
			return
		}
		if d.exhausted {
			f.fail(w, failQuota, 0)
			return
		}
		if s.chance(f.name, d, "error") < d.faults.ErrorRate {
			f.fail(w, failServer, 0)
			return
		}
		if s.chance(f.name, d, "ratelimit") < d.faults.RateLimitRate {
			w.Header().Set("Retry-After", strconv.Itoa(d.faults.retryAfter()))
			f.fail(w, failRateLimit, d.faults.retryAfter())
			return
		}
		if s.chance(f.name, d, "portal") < d.faults.PortalRate {
			writeText(w, http.StatusOK, "text/html; charset=utf-8", portalPage)
			return
		}
		if s.chance(f.name, d, "diagnostic") < d.faults.DiagnosticRate {
			if f.diagnostic != nil {
				f.diagnostic(w)
			} else {
				writeJSON(w, http.StatusOK, map[string]any{"status": "error",
					"diagnostic": "backend index unavailable; partial results suppressed", "results": nil})
			}
			return
		}
		rec := &recorder{header: http.Header{}}
		api.ServeHTTP(rec, r.WithContext(withFaults(r.Context(), d.faults)))
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		body := rec.body.Bytes()
		if rec.status == http.StatusOK && len(body) > 1 && s.chance(f.name, d, "malformed") < d.faults.MalformedRate {
			body = body[:len(body)/2]
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		pad := int64(0)
		if rec.status == http.StatusOK && d.faults.OversizedBytes > int64(len(body)) {
			pad = d.faults.OversizedBytes - int64(len(body))
		}
		w.Header().Set("Content-Length", strconv.FormatInt(int64(len(body))+pad, 10))
		w.WriteHeader(rec.status)
		_, _ = w.Write(body)
		writePadding(w, pad)
	})
}

// writePadding streams n bytes of whitespace, so that an oversized answer costs the fake no
// memory; it stops when the client hangs up.
func writePadding(w http.ResponseWriter, n int64) {
	chunk := bytes.Repeat([]byte{' '}, 64<<10)
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return
		}
		n -= k
	}
}

type faultsKey struct{}

func withFaults(ctx context.Context, f Faults) context.Context {
	return context.WithValue(ctx, faultsKey{}, f)
}

func faultsFrom(ctx context.Context) Faults {
	f, _ := ctx.Value(faultsKey{}).(Faults)
	return f
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// htmlFailures answers injected failures as a plain web front end does, with an HTML page; the
// services differ only in which status a server error has.
func htmlFailures(serverError int) func(http.ResponseWriter, failure, int) {
	return func(w http.ResponseWriter, kind failure, _ int) {
		status := http.StatusServiceUnavailable
		switch kind {
		case failRateLimit:
			status = http.StatusTooManyRequests
		case failServer:
			status = serverError
		}
		writeText(w, status, "text/html", fmt.Sprintf("<html><body><h1>%d %s</h1></body></html>", status, http.StatusText(status)))
	}
}

func writeText(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/gemini/", http.StripPrefix("/gemini", s.serveFake(s.geminiFake())))
	mux.Handle("/xai/", http.StripPrefix("/xai", s.serveFake(s.xaiFake())))
	mux.Handle("/isbndb/", http.StripPrefix("/isbndb", s.serveFake(s.isbndbFake())))
	mux.Handle("/googlebooks/", http.StripPrefix("/googlebooks", s.serveFake(s.googleBooksFake())))
	mux.Handle("/openlibrary/", http.StripPrefix("/openlibrary", s.serveFake(s.openLibraryFake())))
	mux.Handle("/loc/", http.StripPrefix("/loc", s.serveFake(s.locFake())))
	mux.Handle("/wikidata/", http.StripPrefix("/wikidata", s.serveFake(s.wikidataFake())))
	mux.Handle("/archive/", http.StripPrefix("/archive", s.serveFake(s.archiveFake())))

	mux.HandleFunc("GET /_fake/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("PUT /_fake/faults", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]Faults
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decode faults: " + err.Error()})
			return
		}
		for name, f := range in {
			if !slices.Contains(Providers(), name) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("unknown provider %q", name)})
				return
			}
			if err := f.Validate(); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": name + ": " + err.Error()})
				return
			}
		}
		for name, f := range in {
			_ = s.SetFaults(name, f)
		}
		writeJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("GET /_fake/calls", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Calls())
	})
	mux.HandleFunc("POST /_fake/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		writeJSON(w, http.StatusOK, s.Calls())
	})
	mux.HandleFunc("GET /_fake/limits", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Limits())
	})
	mux.HandleFunc("PUT /_fake/limits", func(w http.ResponseWriter, r *http.Request) {
		var l Limits
		if err := json.NewDecoder(r.Body).Decode(&l); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "decode limits: " + err.Error()})
			return
		}
		if err := s.SetLimits(l); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, s.Limits())
	})
	mux.HandleFunc("GET /_fake/catalog/{year}/{month}", func(w http.ResponseWriter, r *http.Request) {
		y, err1 := strconv.Atoi(r.PathValue("year"))
		m, err2 := strconv.Atoi(r.PathValue("month"))
		if err1 != nil || err2 != nil || m < 1 || m > 12 || y < FirstYear || y > LastYear {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such month in the catalog"})
			return
		}
		writeJSON(w, http.StatusOK, s.catalog.Month(y, m))
	})
	return mux
}
