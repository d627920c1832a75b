package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// bookJSON renders one complete book item as the structured output schema asks.
func bookJSON(title, author string) string {
	return fmt.Sprintf(`{"title":%q,"author":%q,"publisher":"","format":"Hardcover","publication_year":2001,"publication_month":9,"significance":"x"}`, title, author)
}

func threeBooksCut(cutAt string) string {
	full := `{"books":[` + bookJSON("The Corrections", "Jonathan Franzen") + "," + bookJSON("Atonement", "Ian McEwan") + "," + bookJSON("Austerlitz", "W. G. Sebald") + `]}`
	return full[:strings.Index(full, cutAt)]
}

// TestTruncatedAnswers feeds answers cut the way the providers cut them (Gemini's MAX_TOKENS,
// xAI's finish_reason "length", a normal stop whose JSON still ends early) through the real SDKs.
func TestTruncatedAnswers(t *testing.T) {
	clearProviderEnv(t)
	tests := []struct {
		name       string
		provider   string
		content    string
		finish     string
		wantBooks  int
		wantLost   int
		wantStop   string
		wantErrSub string
	}{
		{name: "gemini cut inside the third book", provider: ProviderGemini, content: threeBooksCut(`,"author":"W. G. Sebald"`) + `,"auth`,
			finish: "MAX_TOKENS", wantBooks: 2, wantLost: 1, wantStop: "MAX_TOKENS"},
		{name: "gemini cut right after a comma", provider: ProviderGemini, content: threeBooksCut(`{"title":"Austerlitz"`),
			finish: "MAX_TOKENS", wantBooks: 2, wantLost: 0, wantStop: "MAX_TOKENS"},
		{name: "gemini cut inside a string with an escaped quote", provider: ProviderGemini,
			content: `{"books":[` + bookJSON("Dune", "Frank Herbert") + `,{"title":"The \"Real\" Th`, finish: "MAX_TOKENS", wantBooks: 1, wantLost: 1, wantStop: "MAX_TOKENS"},
		{name: "gemini cut before any book is complete fails the model", provider: ProviderGemini,
			content: `{"books":[{"title":"Dune","auth`, finish: "MAX_TOKENS", wantErrSub: "cut off"},
		{name: "xai finish_reason length", provider: ProviderXAI, content: threeBooksCut(`"Atonement"`) + `"Aton`,
			finish: "length", wantBooks: 1, wantLost: 1, wantStop: "length"},
		{name: "xai bare array cut", provider: ProviderXAI, content: "[" + bookJSON("Dune", "Frank Herbert") + "," + bookJSON("Emma", "Jane Austen") + `,{"title":"Em`,
			finish: "length", wantBooks: 2, wantLost: 1, wantStop: "length"},
		{name: "normal stop but the JSON ends early is still reported", provider: ProviderXAI, content: threeBooksCut(`{"title":"Austerlitz"`) + "{",
			finish: "stop", wantBooks: 2, wantLost: 1, wantStop: stopCutJSON},
		{name: "a fenced answer whose closing fence was cut", provider: ProviderXAI, content: "```json\n[" + bookJSON("Dune", "Frank Herbert") + ",{",
			finish: "length", wantBooks: 1, wantLost: 1, wantStop: "length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gen := generatorFor(t, tt.provider, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if tt.provider == ProviderGemini {
					_, _ = io.WriteString(w, geminiAnswer(tt.content, tt.finish))
					return
				}
				_, _ = io.WriteString(w, strings.Replace(xaiAnswer(tt.content), `"finish_reason":"stop"`, `"finish_reason":"`+tt.finish+`"`, 1))
			})
			res := GenerateAll(context.Background(), []Generator{gen}, Request{User: "x", MaxBooks: 20}, 10*time.Second)[0]
			if tt.wantErrSub != "" {
				if res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErrSub) || !errors.Is(res.Err, ErrUnparseable) {
					t.Fatalf("err = %v, want an unparseable error mentioning %q", res.Err, tt.wantErrSub)
				}
				return
			}
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if len(res.Books) != tt.wantBooks || res.Lost != tt.wantLost || !res.Truncated || res.StopReason != tt.wantStop {
				t.Errorf("books %d lost %d truncated %v stop %q; want %d, %d, true, %q",
					len(res.Books), res.Lost, res.Truncated, res.StopReason, tt.wantBooks, tt.wantLost, tt.wantStop)
			}
		})
	}
}

func generatorFor(t *testing.T, provider string, h http.HandlerFunc) Generator {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if provider == ProviderGemini {
		g, err := NewGemini(context.Background(), Options{Model: "gemini-2.5-flash", APIKey: testKey, BaseURL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	x, err := NewXAI(Options{Model: "grok-4", APIKey: testKey, BaseURL: srv.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestProviderErrorsKeepTheirCause sends the providers' real error bodies and checks the class,
// the retry delay and that the provider's own words reach the attempt's error.
func TestProviderErrorsKeepTheirCause(t *testing.T) {
	clearProviderEnv(t)
	geminiQuota := func(quotaID, delay string) string {
		return `{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. Please retry in 29.7s.","status":"RESOURCE_EXHAUSTED","details":[` +
			`{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"` + quotaID + `","quotaDimensions":{"model":"gemini-2.5-flash","location":"global"},"quotaValue":"20"}]},` +
			`{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"` + delay + `"}]}}`
	}
	tests := []struct {
		name      string
		provider  string
		status    int
		header    map[string]string
		body      string
		wantClass ErrorClass
		wantWait  time.Duration
		wantText  string
		permanent bool
	}{
		{name: "gemini per-day quota", provider: ProviderGemini, status: 429, body: geminiQuota("GenerateRequestsPerDayPerProjectPerModel-FreeTier", "29s"),
			wantClass: ClassQuota, wantWait: 29 * time.Second, wantText: "PerDay"},
		{name: "gemini per-minute limit", provider: ProviderGemini, status: 429, body: geminiQuota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "12s"),
			wantClass: ClassRateLimited, wantWait: 12 * time.Second, wantText: "PerMinute"},
		{name: "gemini 429 without details reads the message's delay", provider: ProviderGemini, status: 429,
			body:      `{"error":{"code":429,"message":"Resource has been exhausted. Please retry in 3.5s.","status":"RESOURCE_EXHAUSTED"}}`,
			wantClass: ClassRateLimited, wantWait: 3500 * time.Millisecond, wantText: "Resource has been exhausted"},
		{name: "gemini bad key", provider: ProviderGemini, status: 400,
			body:      `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`,
			wantClass: ClassAuth, wantText: "API key not valid", permanent: true},
		{name: "gemini unknown model", provider: ProviderGemini, status: 404,
			body:      `{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta","status":"NOT_FOUND"}}`,
			wantClass: ClassRejected, wantText: "is not found", permanent: true},
		{name: "gemini overloaded", provider: ProviderGemini, status: 503,
			body:      `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`,
			wantClass: ClassTransient, wantText: "overloaded"},
		{name: "xai bad key as a string error", provider: ProviderXAI, status: 400,
			body:      `{"code":"Client specified an invalid argument","error":"Incorrect API key provided: xa***. You can obtain an API key from https://console.x.ai."}`,
			wantClass: ClassAuth, wantText: "Incorrect API key provided", permanent: true},
		{name: "xai credits exhausted", provider: ProviderXAI, status: 429,
			body:      `{"code":"Too many requests","error":"Your team has either used all available credits or reached its monthly spending limit."}`,
			wantClass: ClassQuota, wantText: "used all available credits"},
		{name: "xai per-minute limit with Retry-After", provider: ProviderXAI, status: 429, header: map[string]string{"Retry-After": "7"},
			body:      `{"code":"Too many requests","error":"Rate limit reached for requests per minute."}`,
			wantClass: ClassRateLimited, wantWait: 7 * time.Second, wantText: "requests per minute"},
		{name: "xai OpenAI-shaped error object", provider: ProviderXAI, status: 401,
			body:      `{"error":{"message":"Invalid bearer token","type":"invalid_request_error","code":"invalid_api_key"}}`,
			wantClass: ClassAuth, wantText: "Invalid bearer token", permanent: true},
		{name: "xai HTML gateway page", provider: ProviderXAI, status: 502,
			body:      `<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>`,
			wantClass: ClassTransient, wantText: "502 Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gen := generatorFor(t, tt.provider, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			res := GenerateAll(context.Background(), []Generator{gen}, testRequest, 10*time.Second)[0]
			if res.Err == nil {
				t.Fatal("no error")
			}
			c := Classify(res.Err)
			if c.Class != tt.wantClass || c.Status != tt.status || c.RetryAfter != tt.wantWait {
				t.Errorf("classified %+v; want class %s status %d wait %s", c, tt.wantClass, tt.status, tt.wantWait)
			}
			if !strings.Contains(res.Err.Error(), tt.wantText) || !strings.Contains(res.Err.Error(), string(tt.wantClass)) {
				t.Errorf("error %q lacks the provider's words %q or its class", res.Err, tt.wantText)
			}
			if Permanent(res.Err) != tt.permanent {
				t.Errorf("Permanent = %v, want %v", Permanent(res.Err), tt.permanent)
			}
			if strings.Contains(res.Err.Error(), testKey) {
				t.Errorf("error leaks the key: %v", res.Err)
			}
		})
	}
}

// hugeBody streams n bytes of a valid-looking JSON answer without holding them in memory.
type hugeBody struct{ left int }

func (h *hugeBody) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, io.EOF
	}
	n := min(len(p), h.left)
	for i := range p[:n] {
		p[i] = ' '
	}
	h.left -= n
	return n, nil
}

func oversizedHandler(provider string, size int, declareLength bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if declareLength {
			w.Header().Set("Content-Length", fmt.Sprint(size))
		}
		_, _ = io.Copy(w, &hugeBody{left: size})
	}
}

// TestOversizedAnswersAreBounded: a body larger than the bound fails the model with a clear
// error whether or not the server declares its length; an answer under the bound still works.
func TestOversizedAnswersAreBounded(t *testing.T) {
	clearProviderEnv(t)
	for _, provider := range []string{ProviderGemini, ProviderXAI} {
		for _, declared := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s declared=%v", provider, declared), func(t *testing.T) {
				gen := generatorFor(t, provider, oversizedHandler(provider, 64<<20, declared))
				res := GenerateAll(context.Background(), []Generator{gen}, testRequest, 30*time.Second)[0]
				if !errors.Is(res.Err, ErrAnswerTooLarge) || Classify(res.Err).Class != ClassTooLarge {
					t.Fatalf("err = %v, want ErrAnswerTooLarge", res.Err)
				}
				if Permanent(res.Err) {
					t.Error("an oversized answer is not a permanent failure")
				}
			})
		}
	}
	t.Run("an answer under a small bound is read", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, xaiAnswer(`{"books":[`+bookJSON("Dune", "Frank Herbert")+`]}`))
		}))
		defer srv.Close()
		x, err := NewXAI(Options{Model: "grok-4", APIKey: testKey, BaseURL: srv.URL + "/v1", MaxAnswerBytes: 4096})
		if err != nil {
			t.Fatal(err)
		}
		res := GenerateAll(context.Background(), []Generator{x}, testRequest, 10*time.Second)[0]
		if res.Err != nil || len(res.Books) != 1 {
			t.Fatalf("%+v", res)
		}
	})
}

// BenchmarkOversizedAnswer measures what a 256 MiB answer costs: B/op stays near the bound
// (DefaultMaxAnswerBytes) instead of growing with the body.
func BenchmarkOversizedAnswer(b *testing.B) {
	for _, provider := range []string{ProviderGemini, ProviderXAI} {
		b.Run(provider, func(b *testing.B) {
			srv := httptest.NewServer(oversizedHandler(provider, 256<<20, false))
			defer srv.Close()
			var gen Generator
			if provider == ProviderGemini {
				gen, _ = NewGemini(context.Background(), Options{Model: "gemini-2.5-flash", APIKey: testKey, BaseURL: srv.URL})
			} else {
				gen, _ = NewXAI(Options{Model: "grok-4", APIKey: testKey, BaseURL: srv.URL + "/v1"})
			}
			b.ReportAllocs()
			base, peak := peakHeap(b, func() {
				for b.Loop() {
					if _, err := gen.Generate(context.Background(), testRequest); !errors.Is(err, ErrAnswerTooLarge) {
						b.Fatalf("err = %v", err)
					}
				}
			})
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(peak-min(base, peak))/(1<<20), "peak-over-baseline-MiB")
		})
	}
}

// peakHeap runs fn and returns the live heap before it (runtime HeapAlloc after a collection)
// and the largest heap seen while it ran, sampled every 200µs.
func peakHeap(b *testing.B, fn func()) (base, peak uint64) {
	b.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base = ms.HeapAlloc
	var highest atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > highest.Load() {
				highest.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	<-sampled
	return base, highest.Load()
}
