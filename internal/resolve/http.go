package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ooheynerds/backfill-operator/internal/textcut"
)

// maxBody bounds how much of a response is read; ISBNdb itself refuses answers above 6 MB.
const maxBody = 8 << 20

// ErrBodyTooLarge marks a source answer larger than maxBody; it is not read further, and the
// request fails rather than being decoded from a cut body.
var ErrBodyTooLarge = errors.New("response body exceeds the size bound")

// errNotTheAPI marks an answer that is not the API's at all: an HTML page (a captive portal, a
// proxy's login or maintenance page) with status 200, a JSON object without the API's envelope,
// or a diagnostic where results belong. Asking again at once does not help, so it is not retried;
// it counts towards setting the source aside.
var errNotTheAPI = errors.New("the answer is not the API's")

// errSetAside marks a call to a source this attempt has set aside (see Config.SetAsideAfter).
var errSetAside = errors.New("source set aside for this attempt")

// errQuotaExhausted marks a source that said it will answer no more today. The attempt stops
// calling it and reports it in Report.QuotaExhausted.
var errQuotaExhausted = errors.New("quota exhausted")

// outcome is how a source's response is to be treated.
type outcome int

const (
	outcomeOK              outcome = iota
	outcomeNoHits                  // a "not found" status that means an empty answer (ISBNdb 404)
	outcomeRetry                   // transient: retry after Retry-After or backoff
	outcomeQuota                   // the source's quota is spent: stop calling it for this attempt
	outcomeQuotaIfPersists         // a rate limit that becomes quota exhaustion if retries do not clear it
	outcomeFail                    // a client-side or unexpected error: give up on this request
	outcomeNotTheAPI               // a 2xx answer that is not the API's (errNotTheAPI): give up on this request
)

// classifier decides the outcome of one HTTP response from a source.
type classifier func(status int, body []byte) outcome

// defaultClassify is the treatment shared by the sources: 2xx is an answer, 408/5xx are
// transient, anything else is a failure. A 429 is retried, and one that survives every retry
// stops calls to the source for the rest of the attempt: hammering a source that keeps refusing
// is what gets a client banned (Wikidata bans for 24 h).
func defaultClassify(status int, _ []byte) outcome {
	switch {
	case status >= 200 && status < 300:
		return outcomeOK
	case status == http.StatusTooManyRequests:
		return outcomeQuotaIfPersists
	case status == http.StatusRequestTimeout || status >= 500:
		return outcomeRetry
	default:
		return outcomeFail
	}
}

// endpoint is one source's HTTP side: its rate limiter, in-flight bound and retry policy. It lives
// as long as the Resolver so that limits hold across attempts made with the same Resolver.
type endpoint struct {
	name      string
	cfg       SourceConfig
	client    *http.Client
	limiter   *rate.Limiter
	inflight  chan struct{}
	classify  classifier
	userAgent string
	retry     RetryPolicy
	sleep     func(ctx context.Context, d time.Duration) error
	now       func() time.Time
}

// attemptState is what one Resolve call learns about the sources: calls made and which sources
// are out of quota. All books of the attempt share it.
type attemptState struct {
	mu        sync.Mutex
	calls     map[string]int
	failures  map[string]int
	exhausted map[string]bool
	order     []string // exhaustion in the order it was seen, for the report

	// The circuit breaker: bad answers in a row per source (reset by any good answer), and the
	// sources set aside for the rest of the attempt with the reason, in the order it happened.
	setAsideAfter int
	strikes       map[string]int
	setAside      map[string]string
	asideOrder    []string
}

func newAttemptState(setAsideAfter int) *attemptState {
	return &attemptState{calls: map[string]int{}, failures: map[string]int{}, exhausted: map[string]bool{},
		setAsideAfter: setAsideAfter, strikes: map[string]int{}, setAside: map[string]string{}}
}

// strike records one bad answer from a source (not the API's, undecodable, failed for good) and
// sets the source aside once setAsideAfter of them come in a row; cause is kept as the reason.
func (a *attemptState) strike(source string, cause string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.strikes[source]++
	if _, done := a.setAside[source]; done || a.setAsideAfter <= 0 || a.strikes[source] < a.setAsideAfter {
		return
	}
	a.setAside[source] = fmt.Sprintf("%d bad answers in a row, the last: %s", a.strikes[source], cause)
	a.asideOrder = append(a.asideOrder, source)
}

// good records an answer the source's decoder accepted.
func (a *attemptState) good(source string) {
	a.mu.Lock()
	a.strikes[source] = 0
	a.mu.Unlock()
}

func (a *attemptState) isSetAside(source string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.setAside[source]
	return ok
}

// unavailable reports why a source will not be called again in this attempt, or nil.
func (a *attemptState) unavailable(source string) error {
	if a.isExhausted(source) {
		return fmt.Errorf("%s: %w", source, errQuotaExhausted)
	}
	if a.isSetAside(source) {
		return fmt.Errorf("%s: %w", source, errSetAside)
	}
	return nil
}

func (a *attemptState) count(source string) {
	a.mu.Lock()
	a.calls[source]++
	a.mu.Unlock()
}

func (a *attemptState) fail(source string) {
	a.mu.Lock()
	a.failures[source]++
	a.mu.Unlock()
}

func (a *attemptState) markExhausted(source string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.exhausted[source] {
		a.exhausted[source] = true
		a.order = append(a.order, source)
	}
}

func (a *attemptState) isExhausted(source string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.exhausted[source]
}

// request describes one call. body is called again for every retry because a reader can be
// consumed only once.
type request struct {
	method string
	url    *url.URL
	header http.Header
	body   func() io.Reader
	// decode reads a successful body. A body it cannot read (cut off, garbled) is treated like
	// a transient failure and retried.
	decode func(body []byte) error
}

// response is a completed exchange the source's decoder reads.
type response struct {
	status int
	body   []byte
	noHits bool
}

// do sends req under the source's rate limit, retrying transient failures, and counts every HTTP
// request it sends (failed and retried ones included) in st. Errors never contain API keys.
func (e *endpoint) do(ctx context.Context, st *attemptState, req request) (response, error) {
	if err := st.unavailable(e.name); err != nil {
		return response{}, err
	}
	select {
	case e.inflight <- struct{}{}:
		defer func() { <-e.inflight }()
	case <-ctx.Done():
		return response{}, ctx.Err()
	}
	var lastErr error
	lastStruck := false // the last failure was a bad answer already counted by the breaker
	for attempt := 1; ; attempt++ {
		if err := st.unavailable(e.name); err != nil {
			return response{}, err
		}
		if err := e.limiter.Wait(ctx); err != nil {
			return response{}, fmt.Errorf("%s: waiting for rate limit: %w", e.name, err)
		}
		resp, wait, out, err := e.once(ctx, st, req)
		struck := false
		if err == nil && out == outcomeOK && req.decode != nil {
			if derr := req.decode(resp.body); derr != nil {
				struck = true
				// A body that is not the API's is not asked for again; a cut or garbled one is.
				out = outcomeRetry
				if errors.Is(derr, errNotTheAPI) {
					out = outcomeNotTheAPI
				}
				err = fmt.Errorf("%s: %s %s: %w", e.name, req.method, redactURL(req.url), derr)
				st.strike(e.name, withoutURL(err, e.name, req))
			}
		}
		lastStruck = struck
		if err == nil && (out == outcomeOK || out == outcomeNoHits) {
			st.good(e.name)
			resp.noHits = out == outcomeNoHits
			return resp, nil
		}
		if ctx.Err() != nil {
			return response{}, ctx.Err()
		}
		switch out {
		case outcomeQuota:
			st.markExhausted(e.name)
			return response{}, fmt.Errorf("%s: HTTP %d: %w", e.name, resp.status, errQuotaExhausted)
		case outcomeNotTheAPI:
			st.fail(e.name)
			return response{}, err
		case outcomeFail:
			st.fail(e.name)
			if err == nil {
				err = fmt.Errorf("%s: %s %s: HTTP %d: %s", e.name, req.method, redactURL(req.url), resp.status, snippet(resp.body))
			}
			st.strike(e.name, withoutURL(err, e.name, req))
			return response{}, err
		}
		// Retryable: a network error, 408, 429 or 5xx.
		if err != nil {
			lastErr = err
		} else {
			lastErr = fmt.Errorf("%s: %s %s: HTTP %d: %s", e.name, req.method, redactURL(req.url), resp.status, snippet(resp.body))
		}
		delay := e.retry.backoff(attempt)
		if wait > 0 {
			delay = wait
		}
		if attempt >= e.retry.MaxAttempts || delay > e.retry.MaxWait {
			if out == outcomeQuotaIfPersists {
				st.markExhausted(e.name)
				return response{}, fmt.Errorf("%s: rate limit persisted over %d requests: %w", e.name, attempt, errQuotaExhausted)
			}
			st.fail(e.name)
			err := fmt.Errorf("%s: giving up after %d requests: %w", e.name, attempt, lastErr)
			if !lastStruck {
				st.strike(e.name, withoutURL(err, e.name, req))
			}
			return response{}, err
		}
		if err := e.sleep(ctx, delay); err != nil {
			return response{}, err
		}
	}
}

// once sends one HTTP request and classifies the answer. wait is the server's Retry-After, if any.
func (e *endpoint) once(ctx context.Context, st *attemptState, req request) (resp response, wait time.Duration, out outcome, err error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if req.body != nil {
		body = req.body()
	}
	hreq, err := http.NewRequestWithContext(ctx, req.method, req.url.String(), body)
	if err != nil {
		return response{}, 0, outcomeFail, fmt.Errorf("%s: building request for %s: %w", e.name, redactURL(req.url), redactErr(err))
	}
	for k, vs := range req.header {
		hreq.Header[k] = vs
	}
	hreq.Header.Set("User-Agent", e.userAgent)
	if hreq.Header.Get("Accept") == "" {
		hreq.Header.Set("Accept", "application/json")
	}
	st.count(e.name)
	// Redirects (Open Library's /isbn/{isbn}.json answers 302) are further requests: they are
	// counted and rate-limited like the first one.
	client := *e.client
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		if err := e.limiter.Wait(next.Context()); err != nil {
			return err
		}
		st.count(e.name)
		return nil
	}
	hres, err := client.Do(hreq)
	if err != nil {
		return response{}, 0, outcomeRetry, fmt.Errorf("%s: %s %s: %w", e.name, req.method, redactURL(req.url), redactErr(err))
	}
	defer hres.Body.Close()
	if hres.ContentLength > maxBody {
		return response{status: hres.StatusCode}, 0, outcomeFail,
			fmt.Errorf("%s: %s: %w: the answer declares %d bytes, the bound is %d", e.name, redactURL(req.url), ErrBodyTooLarge, hres.ContentLength, maxBody)
	}
	// One byte past the bound tells an answer of exactly maxBody from a larger one.
	data, err := io.ReadAll(io.LimitReader(hres.Body, maxBody+1))
	if err != nil {
		return response{status: hres.StatusCode}, 0, outcomeRetry,
			fmt.Errorf("%s: reading %s: %w", e.name, redactURL(req.url), redactErr(err))
	}
	if len(data) > maxBody {
		return response{status: hres.StatusCode}, 0, outcomeFail,
			fmt.Errorf("%s: %s: %w (%d bytes)", e.name, redactURL(req.url), ErrBodyTooLarge, maxBody)
	}
	resp = response{status: hres.StatusCode, body: data}
	return resp, retryAfter(hres.Header.Get("Retry-After"), e.now()), e.classify(hres.StatusCode, data), nil
}

// RetryPolicy bounds retries of transient failures.
type RetryPolicy struct {
	MaxAttempts int           // requests per call, first one included
	BaseDelay   time.Duration // backoff before the second request, doubled for each further one
	MaxDelay    time.Duration // cap of the computed backoff
	MaxWait     time.Duration // a Retry-After longer than this is not waited for: the call fails
}

func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// retryAfter parses a Retry-After header given in seconds or as an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(0, secs)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now))
	}
	return 0
}

// sensitiveParams are query parameters that carry credentials.
var sensitiveParams = []string{"key", "api_key", "apikey", "token", "access_token"}

// redactURL renders u with credential parameters replaced, for errors and logs.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	q := c.Query()
	changed := false
	for _, p := range sensitiveParams {
		if q.Has(p) {
			q.Set(p, "REDACTED")
			changed = true
		}
	}
	if changed {
		c.RawQuery = q.Encode()
	}
	return c.String()
}

// redactErr strips the URL that net/http puts in its errors (it may hold a key) and keeps the
// cause, so that timeouts and refused connections stay recognisable.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// withoutURL is err's text without the source's name and the request's method and URL, which say nothing about why a
// source was set aside and would make the attempt's summary long; errors keep them.
func withoutURL(err error, source string, req request) string {
	u := redactURL(req.url)
	return strings.NewReplacer(req.method+" "+u+": ", "", u+": ", "", source+": ", "").Replace(err.Error())
}

// expectJSON checks that a body is the API's JSON object: an object carrying at least one of
// the API's envelope keys. An HTML page, an empty body or another JSON value is errNotTheAPI; a
// body cut mid-object is left to the decoder (a transient failure worth a retry).
func expectJSON(body []byte, keys ...string) error {
	b := bytes.TrimSpace(body)
	switch {
	case len(b) == 0:
		return fmt.Errorf("%w: an empty body", errNotTheAPI)
	case b[0] == '<':
		return fmt.Errorf("%w: %s", errNotTheAPI, describeMarkup(b))
	case b[0] != '{':
		return fmt.Errorf("%w: not a JSON object: %s", errNotTheAPI, snippet(b))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil
	}
	for _, k := range keys {
		if _, ok := top[k]; ok {
			return nil
		}
	}
	return fmt.Errorf("%w: a JSON object without %s: %s", errNotTheAPI, strings.Join(keys, " or "), snippet(b))
}

var htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// describeMarkup names a markup body for an error: an HTML page by its title.
func describeMarkup(b []byte) string {
	if m := htmlTitle.FindSubmatch(b); m != nil {
		return fmt.Sprintf("an HTML page (%q)", snippet(m[1]))
	}
	if bytes.Contains(bytes.ToLower(b[:min(len(b), 512)]), []byte("<html")) {
		return "an HTML page"
	}
	return "markup: " + snippet(b)
}

// snippet is the start of a response body for an error message.
func snippet(b []byte) string {
	return textcut.Cut(strings.TrimSpace(string(b)), 200)
}

// sleepContext waits d or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetch sends req and decodes a successful body with decode, retrying bodies that do not decode.
// A "no hits" status gives no candidates and no error.
func (e *endpoint) fetch(ctx context.Context, st *attemptState, req request, decode func([]byte) ([]candidate, error)) ([]candidate, error) {
	var out []candidate
	req.decode = func(body []byte) error {
		var err error
		out, err = decode(body)
		return err
	}
	res, err := e.do(ctx, st, req)
	if err != nil || res.noHits {
		return nil, err
	}
	return out, nil
}
