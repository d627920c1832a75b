package llm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/prompt"
)

// monthRequest renders the real prompt for a month, as the worker sends it.
func monthRequest(t *testing.T, year, month, books int) Request {
	t.Helper()
	b, err := prompt.NewBuilder(prompt.Auto, "")
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Build(prompt.Request{Year: year, Month: month, Books: books})
	if err != nil {
		t.Fatal(err)
	}
	return Request{System: p.System, User: p.User, MaxBooks: books}
}

func fakeGenerators(t *testing.T, srv *fakes.Server, retries int) []Generator {
	t.Helper()
	g, err := NewGemini(context.Background(), Options{Model: "gemini-2.5-flash", APIKey: testKey, BaseURL: srv.GeminiBaseURL(),
		MaxRetries: retries, RetryDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewXAI(Options{Model: "grok-4", APIKey: testKey, BaseURL: srv.XAIBaseURL(), MaxRetries: retries})
	if err != nil {
		t.Fatal(err)
	}
	return []Generator{g, x}
}

// TestAgainstFakes asks both generators through the real SDKs against the in-repo fakes, which
// read the month and the count from the prompt and answer in each provider's wire format.
func TestAgainstFakes(t *testing.T) {
	clearProviderEnv(t)
	tests := []struct {
		name   string
		faults map[string]fakes.Faults
		check  func(t *testing.T, gemini, xai Result)
	}{
		{
			name: "both answer",
			check: func(t *testing.T, gemini, xai Result) {
				for _, r := range []Result{gemini, xai} {
					if r.Err != nil || len(r.Books) == 0 || len(r.Books) > 20 || r.Refusal != "" {
						t.Errorf("%s: %d books, refusal %q, err %v", r.Provider, len(r.Books), r.Refusal, r.Err)
					}
					for _, b := range r.Books {
						if b.PublicationYear != 2014 || b.PublicationMonth != 10 {
							t.Errorf("%s: %q published %d-%d, asked for 2014-10", r.Provider, b.Title, b.PublicationYear, b.PublicationMonth)
							break
						}
					}
				}
			},
		},
		{
			name:   "grok refuses",
			faults: map[string]fakes.Faults{fakes.ProviderXAI: {RefuseAll: true}, fakes.ProviderGemini: {EmptyAnswer: true}},
			check: func(t *testing.T, gemini, xai Result) {
				if xai.Err != nil || xai.Refusal == "" || len(xai.Books) != 0 {
					t.Errorf("xai: %+v, want a refusal with its reason", xai)
				}
				if gemini.Err != nil || gemini.Refusal == "" || len(gemini.Books) != 0 {
					t.Errorf("gemini: %+v, want an empty answer recorded as a refusal", gemini)
				}
			},
		},
		{
			name:   "outage keeps status and message",
			faults: map[string]fakes.Faults{fakes.ProviderXAI: {Outage: true}, fakes.ProviderGemini: {Outage: true}},
			check: func(t *testing.T, gemini, xai Result) {
				var oe *openai.Error
				if !errors.As(xai.Err, &oe) || oe.StatusCode != 503 || !strings.Contains(oe.Message, "unavailable") {
					t.Errorf("xai err = %v, want *openai.Error 503 with xAI's message", xai.Err)
				}
				if StatusCode(gemini.Err) != 503 {
					t.Errorf("gemini err = %v, want status 503", gemini.Err)
				}
				if gemini.Calls != 3 || xai.Calls != 3 {
					t.Errorf("calls gemini %d xai %d, want 3 each (1 + 2 retries)", gemini.Calls, xai.Calls)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := fakes.Start(t.Context(), fakes.Options{Seed: 1, Faults: tt.faults})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			res := GenerateAll(context.Background(), fakeGenerators(t, srv, 2), monthRequest(t, 2014, 10, 20), 30*time.Second)
			tt.check(t, res[0], res[1])
			seen := srv.Calls()
			if res[0].Calls != seen[fakes.ProviderGemini] || res[1].Calls != seen[fakes.ProviderXAI] {
				t.Errorf("counted gemini %d xai %d; the fake saw %d and %d", res[0].Calls, res[1].Calls, seen[fakes.ProviderGemini], seen[fakes.ProviderXAI])
			}
		})
	}
}
