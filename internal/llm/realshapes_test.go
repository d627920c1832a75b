package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
)

// TestAnswerShapesOfTheRealServices: answers in shapes the services document but the simple
// answer builders do not produce (text split over parts, reasoning parts, blocked prompts,
// stop reasons, refusals, reasoning content, HTML where JSON belongs), through the real SDKs.
func TestAnswerShapesOfTheRealServices(t *testing.T) {
	clearProviderEnv(t)
	two := `{"books":[` + bookJSON("Dune", "Frank Herbert") + "," + bookJSON("Emma", "Jane Austen") + `]}`
	gemini := func(candidate map[string]any, extra map[string]any) string {
		m := map[string]any{"modelVersion": "gemini-2.5-flash"}
		if candidate != nil {
			m["candidates"] = []any{candidate}
		}
		for k, v := range extra {
			m[k] = v
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	parts := func(ps ...map[string]any) map[string]any {
		return map[string]any{"role": "model", "parts": ps}
	}
	xai := func(message map[string]any, finish string) string {
		b, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion", "created": 1, "model": "grok-4",
			"choices": []any{map[string]any{"index": 0, "finish_reason": finish, "message": message}}})
		return string(b)
	}
	tests := []struct {
		name        string
		provider    string
		contentType string
		body        string
		wantBooks   int
		wantRefusal string // substring; "" means none
		wantErr     string // substring; "" means no error
	}{
		{name: "gemini JSON split over two text parts", provider: ProviderGemini,
			body:      gemini(map[string]any{"content": parts(map[string]any{"text": two[:40]}, map[string]any{"text": two[40:]}), "finishReason": "STOP"}, nil),
			wantBooks: 2},
		{name: "gemini thought part before the answer is not read", provider: ProviderGemini,
			body:      gemini(map[string]any{"content": parts(map[string]any{"text": `{"books":[{"title":"Draft`, "thought": true}, map[string]any{"text": two}), "finishReason": "STOP"}, nil),
			wantBooks: 2},
		{name: "gemini blocked prompt: no candidates, promptFeedback", provider: ProviderGemini,
			body:        gemini(nil, map[string]any{"promptFeedback": map[string]any{"blockReason": "PROHIBITED_CONTENT"}}),
			wantRefusal: "PROHIBITED_CONTENT"},
		{name: "gemini RECITATION stop with partial text is a refusal", provider: ProviderGemini,
			body:        gemini(map[string]any{"content": parts(map[string]any{"text": two[:60]}), "finishReason": "RECITATION"}, nil),
			wantRefusal: "RECITATION"},
		{name: "gemini unknown finish reason fails the model", provider: ProviderGemini,
			body:    gemini(map[string]any{"content": parts(map[string]any{"text": two}), "finishReason": "MALFORMED_FUNCTION_CALL"}, nil),
			wantErr: "MALFORMED_FUNCTION_CALL"},
		{name: "gemini captive portal page with status 200", provider: ProviderGemini, contentType: "text/html",
			body: `<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title></head><body>Accept the terms</body></html>`, wantErr: "gemini"},
		{name: "xai reasoning content beside the answer", provider: ProviderXAI,
			body:      xai(map[string]any{"role": "assistant", "content": two, "reasoning_content": `Thinking about [1] and {"title":"x"}`}, "stop"),
			wantBooks: 2},
		{name: "xai refusal field with no content", provider: ProviderXAI,
			body:        xai(map[string]any{"role": "assistant", "content": nil, "refusal": "I can't help with that."}, "stop"),
			wantRefusal: "can't help"},
		{name: "xai content filter stop", provider: ProviderXAI,
			body:        xai(map[string]any{"role": "assistant", "content": ""}, "content_filter"),
			wantRefusal: "content_filter"},
		{name: "xai cut before the first book", provider: ProviderXAI,
			body:    xai(map[string]any{"role": "assistant", "content": `{"books":[{"title":"Du`}, "length"),
			wantErr: "length"},
		{name: "xai prose with a bracketed citation before the books", provider: ProviderXAI,
			body:      xai(map[string]any{"role": "assistant", "content": "Sources [1], [2]. Here they are:\n" + two + "\n[3] Publishers Weekly"}, "stop"),
			wantBooks: 2},
		{name: "xai proxy maintenance page with status 200", provider: ProviderXAI, contentType: "text/html",
			body: `<html><head><title>Maintenance</title></head><body>Back soon</body></html>`, wantErr: "xai"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gen := generatorFor(t, tt.provider, func(w http.ResponseWriter, r *http.Request) {
				ct := tt.contentType
				if ct == "" {
					ct = "application/json"
				}
				w.Header().Set("Content-Type", ct)
				_, _ = io.WriteString(w, tt.body)
			})
			res := GenerateAll(context.Background(), []Generator{gen}, Request{User: "x", MaxBooks: 20}, 10*time.Second)[0]
			switch {
			case tt.wantErr != "":
				if res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErr) || len(res.Books) != 0 {
					t.Fatalf("err %v with %d books; want an error mentioning %q and no books", res.Err, len(res.Books), tt.wantErr)
				}
				if strings.Contains(res.Err.Error(), testKey) {
					t.Errorf("error leaks the key: %v", res.Err)
				}
			case res.Err != nil:
				t.Fatalf("err %v", res.Err)
			case tt.wantRefusal != "":
				if !strings.Contains(res.Refusal, tt.wantRefusal) || len(res.Books) != 0 {
					t.Errorf("refusal %q with %d books; want a refusal mentioning %q", res.Refusal, len(res.Books), tt.wantRefusal)
				}
			default:
				if len(res.Books) != tt.wantBooks || res.Refusal != "" || res.Truncated {
					t.Errorf("%d books, refusal %q, truncated %v; want %d books", len(res.Books), res.Refusal, res.Truncated, tt.wantBooks)
				}
			}
		})
	}
}

// TestFakesAnswerTheRealShapesOnDemand: the fakes' truncated, oversized and portal answers reach
// the real SDKs as the services' would: a cut answer keeps its complete books and says how it
// stopped, an oversized one fails clearly, a portal page fails the model without books.
func TestFakesAnswerTheRealShapesOnDemand(t *testing.T) {
	clearProviderEnv(t)
	srv, err := fakes.Start(t.Context(), fakes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	req := monthRequest(t, 2008, 9, 20)
	for _, tt := range []struct {
		name   string
		faults fakes.Faults
		check  func(t *testing.T, r Result)
	}{
		{"truncated", fakes.Faults{TruncateAnswers: true}, func(t *testing.T, r Result) {
			want := map[string]string{ProviderGemini: "MAX_TOKENS", ProviderXAI: "length"}[r.Provider]
			if r.Err != nil || !r.Truncated || r.StopReason != want || len(r.Books) < 5 || len(r.Books) >= 20 {
				t.Errorf("%s: %d books, truncated %v stop %q lost %d err %v; want some books, cut with %s",
					r.Provider, len(r.Books), r.Truncated, r.StopReason, r.Lost, r.Err, want)
			}
		}},
		{"oversized", fakes.Faults{OversizedBytes: 5 << 20}, func(t *testing.T, r Result) {
			if !errors.Is(r.Err, ErrAnswerTooLarge) || len(r.Books) != 0 {
				t.Errorf("%s: %d books, err %v; want ErrAnswerTooLarge", r.Provider, len(r.Books), r.Err)
			}
		}},
		{"portal page", fakes.Faults{PortalRate: 1}, func(t *testing.T, r Result) {
			if r.Err == nil || len(r.Books) != 0 {
				t.Errorf("%s: %d books, err %v; want the model failed without books", r.Provider, len(r.Books), r.Err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range []string{fakes.ProviderGemini, fakes.ProviderXAI} {
				if err := srv.SetFaults(p, tt.faults); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range GenerateAll(context.Background(), fakeGenerators(t, srv, 0), req, 30*time.Second) {
				tt.check(t, r)
			}
		})
	}
}
