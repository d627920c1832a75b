package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
)

// Provider names, as they appear in the attempt row's calls and in refusals (the API's).
const (
	ProviderGemini = v1alpha1.ProviderGemini
	ProviderXAI    = v1alpha1.ProviderXAI
)

// Request is what one model is asked.
type Request struct {
	System   string // instructions shared by every month
	User     string // the month-specific request
	MaxBooks int    // books beyond this many are ignored
}

// Generator is one LLM that proposes books.
type Generator interface {
	// Provider names the model's provider ("gemini", "xai").
	Provider() string
	// Model is the model id asked.
	Model() string
	// Generate asks once (with the SDK's retries). A refusal or an empty answer is a Parsed
	// with a Refusal and no error.
	Generate(ctx context.Context, req Request) (Parsed, error)
	// Calls is the number of HTTP requests really sent so far, retries and failures included.
	Calls() int
}

// Options configure one generator.
type Options struct {
	Model      string
	APIKey     string
	BaseURL    string        // empty: the provider's public endpoint
	MaxRetries int           // retries after the first request, for 408, 429 and 5xx answers
	RetryDelay time.Duration // Gemini's first backoff (doubled per retry); xAI's SDK picks its own
	Transport  http.RoundTripper
	// MaxAnswerBytes bounds one answer body (DefaultMaxAnswerBytes when 0).
	MaxAnswerBytes int64
}

// Result is one model's contribution to a month.
type Result struct {
	Provider string
	Model    string
	Books    []Book
	Dropped  int
	Refusal  string // set when the model refused or answered nothing
	Err      error  // set when the model could not be asked (outage, timeout, bad key, garbage)
	Calls    int
	// Truncated, Lost and StopReason report an answer cut off (see Parsed); the complete books
	// before the cut are in Books.
	Truncated  bool
	Lost       int
	StopReason string
	// OverLimit counts books beyond Request.MaxBooks that were not kept.
	OverLimit int
}

// GenerateAll asks every generator in parallel, each under its own timeout, and returns their
// results in the generators' order. A generator's failure is its Result.Err; it never stops the
// others.
func GenerateAll(ctx context.Context, gens []Generator, req Request, timeout time.Duration) []Result {
	results := make([]Result, len(gens))
	var wg sync.WaitGroup
	for i, g := range gens {
		wg.Go(func() {
			callCtx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			before := g.Calls()
			parsed, err := g.Generate(callCtx, req)
			r := Result{Provider: g.Provider(), Model: g.Model(), Calls: g.Calls() - before}
			if err != nil {
				if callCtx.Err() != nil && ctx.Err() == nil {
					err = fmt.Errorf("%w after %s: %w", ErrTimeout, timeout, err)
				}
				r.Err = err
			} else {
				r.Books, r.Dropped, r.Refusal = parsed.Books, parsed.Dropped, parsed.Refusal
				r.Truncated, r.Lost, r.StopReason = parsed.Truncated, parsed.Lost, parsed.StopReason
				if req.MaxBooks > 0 && len(r.Books) > req.MaxBooks {
					r.OverLimit = len(r.Books) - req.MaxBooks
					r.Books = r.Books[:req.MaxBooks]
				}
			}
			results[i] = r
		})
	}
	wg.Wait()
	return results
}

// ErrTimeout marks a model that did not answer within its timeout.
var ErrTimeout = errors.New("model timed out")

// StatusCode reports the HTTP status of a provider error, or 0 when there was none.
func StatusCode(err error) int { return Classify(err).Status }

// Permanent reports whether a provider error will not go away by retrying the attempt: the key
// is wrong or the request itself is rejected (unknown model, bad parameter).
func Permanent(err error) bool {
	switch Classify(err).Class {
	case ClassAuth, ClassRejected:
		return true
	}
	return false
}

// countingTransport counts every HTTP request handed to the network, so the attempt row records
// real calls (the seed recorded constants).
// It also bounds every answer body: an answer larger than limit fails with ErrAnswerTooLarge
// instead of being read whole into memory.
type countingTransport struct {
	next  http.RoundTripper
	limit int64
	calls atomic.Int64
}

func newCountingTransport(next http.RoundTripper, limit int64) *countingTransport {
	if next == nil {
		next = http.DefaultTransport
	}
	if limit <= 0 {
		limit = DefaultMaxAnswerBytes
	}
	return &countingTransport{next: next, limit: limit}
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	res, err := c.next.RoundTrip(r)
	if err != nil || res == nil || res.Body == nil {
		return res, err
	}
	if res.ContentLength > c.limit {
		_ = res.Body.Close()
		return nil, fmt.Errorf("%w: the answer declares %d bytes, the bound is %d", ErrAnswerTooLarge, res.ContentLength, c.limit)
	}
	res.Body = &boundedBody{rc: res.Body, left: c.limit, limit: c.limit}
	return res, nil
}

// DefaultMaxAnswerBytes bounds one LLM answer. A full answer of 16k output tokens is well under
// 1 MiB of JSON; anything far larger is a broken or hostile answer.
const DefaultMaxAnswerBytes = 4 << 20

// ErrAnswerTooLarge marks an answer body larger than the generator's bound.
var ErrAnswerTooLarge = errors.New("answer body exceeds the size bound")

// boundedBody fails the read that goes past the bound, so the SDK's io.ReadAll stops there.
type boundedBody struct {
	rc    io.ReadCloser
	left  int64
	limit int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells "exactly the bound" from "larger than the bound".
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%w (%d bytes)", ErrAnswerTooLarge, b.limit)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }

func (c *countingTransport) count() int { return int(c.calls.Load()) }
