package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3"
	"google.golang.org/genai"
)

// Provider names, as they appear in the attempt row's calls and in refusals.
const (
	ProviderGemini = "gemini"
	ProviderXAI    = "xai"
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
				if req.MaxBooks > 0 && len(r.Books) > req.MaxBooks {
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
func StatusCode(err error) int {
	var gemini genai.APIError
	if errors.As(err, &gemini) {
		return gemini.Code
	}
	var gemPtr *genai.APIError
	if errors.As(err, &gemPtr) && gemPtr != nil {
		return gemPtr.Code
	}
	var oai *openai.Error
	if errors.As(err, &oai) {
		return oai.StatusCode
	}
	return 0
}

// Permanent reports whether a provider error will not go away by retrying the attempt: the key,
// the model name or the request is wrong.
func Permanent(err error) bool {
	switch StatusCode(err) {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}

// countingTransport counts every HTTP request handed to the network, so the attempt row records
// real calls (the seed recorded constants).
type countingTransport struct {
	next  http.RoundTripper
	calls atomic.Int64
}

func newCountingTransport(next http.RoundTripper) *countingTransport {
	if next == nil {
		next = http.DefaultTransport
	}
	return &countingTransport{next: next}
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.calls.Add(1)
	return c.next.RoundTrip(r)
}

func (c *countingTransport) count() int { return int(c.calls.Load()) }
