package resolve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
}

func newAttemptState() *attemptState {
	return &attemptState{calls: map[string]int{}, failures: map[string]int{}, exhausted: map[string]bool{}}
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
	if st.isExhausted(e.name) {
		return response{}, fmt.Errorf("%s: %w", e.name, errQuotaExhausted)
	}
	select {
	case e.inflight <- struct{}{}:
		defer func() { <-e.inflight }()
	case <-ctx.Done():
		return response{}, ctx.Err()
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		if st.isExhausted(e.name) {
			return response{}, fmt.Errorf("%s: %w", e.name, errQuotaExhausted)
		}
		if err := e.limiter.Wait(ctx); err != nil {
			return response{}, fmt.Errorf("%s: waiting for rate limit: %w", e.name, err)
		}
		resp, wait, out, err := e.once(ctx, st, req)
		if err == nil && out == outcomeOK && req.decode != nil {
			if derr := req.decode(resp.body); derr != nil {
				out, err = outcomeRetry, fmt.Errorf("%s: %s %s: %w", e.name, req.method, redactURL(req.url), derr)
			}
		}
		if err == nil && (out == outcomeOK || out == outcomeNoHits) {
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
		case outcomeFail:
			st.fail(e.name)
			if err != nil {
				return response{}, err
			}
			return response{}, fmt.Errorf("%s: %s %s: HTTP %d: %s", e.name, req.method, redactURL(req.url), resp.status, snippet(resp.body))
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
			return response{}, fmt.Errorf("%s: giving up after %d requests: %w", e.name, attempt, lastErr)
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
