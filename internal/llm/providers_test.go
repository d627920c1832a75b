package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"google.golang.org/genai"
)

const testKey = "test-key-do-not-leak"

// geminiAnswer wraps text in a generateContent response, as the REST API sends it.
func geminiAnswer(text, finish string) string {
	b, _ := json.Marshal(map[string]any{
		"candidates": []any{map[string]any{
			"content":      map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}},
			"finishReason": finish, "index": 0,
		}},
		"modelVersion": "gemini-2.5-flash",
	})
	return string(b)
}

// xaiAnswer wraps content in a chat.completion response.
func xaiAnswer(content string) string {
	b, _ := json.Marshal(map[string]any{
		"id": "c1", "object": "chat.completion", "created": 1, "model": "grok-4",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content}}},
	})
	return string(b)
}

type recorded struct {
	path, auth, body string
}

// scriptedServer answers each request with the next scripted (status, body), repeating the last.
func scriptedServer(t *testing.T, script [][2]any, seen *[]recorded) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization") + r.Header.Get("x-goog-api-key")
		*seen = append(*seen, recorded{path: r.URL.Path, auth: auth, body: string(body)})
		i := int(n.Add(1)) - 1
		if i >= len(script) {
			i = len(script) - 1
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(script[i][0].(int))
		_, _ = io.WriteString(w, script[i][1].(string))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func clearProviderEnv(t *testing.T) {
	for _, v := range []string{"GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL",
		"GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "OPENAI_BASE_URL", "OPENAI_API_KEY"} {
		t.Setenv(v, "")
	}
}

var testRequest = Request{System: "be accurate", User: "List up to 2 books published in January 2020.", MaxBooks: 2}

// answer is what a provider test expects of one scripted exchange.
type answer struct {
	calls, books int
	refusal      string
	// failed: the result is an error (whose kind the test checks itself)
	failed bool
	// where the request went, with which credential, and what its body says
	path, auth string
	body       []string
}

// checkAnswer checks what every provider's test expects: as many calls as wanted, all seen by
// the server; an expected error that does not carry the key; otherwise the books or the
// refusal, and the request sent where and as it should be.
func checkAnswer(t *testing.T, res Result, seen []recorded, want answer) {
	t.Helper()
	if res.Calls != want.calls || len(seen) != want.calls {
		t.Errorf("calls = %d, server saw %d, want %d", res.Calls, len(seen), want.calls)
	}
	if want.failed {
		if res.Err == nil || strings.Contains(res.Err.Error(), testKey) {
			t.Errorf("error %v: want one, and without the key", res.Err)
		}
		return
	}
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Books) != want.books || res.Refusal != want.refusal {
		t.Errorf("got %d books, refusal %q; want %d, %q", len(res.Books), res.Refusal, want.books, want.refusal)
	}
	req := seen[0]
	if req.path != want.path || req.auth != want.auth {
		t.Errorf("request went to %s with auth %q", req.path, req.auth)
	}
	for _, b := range want.body {
		if !strings.Contains(req.body, b) {
			t.Errorf("request body lacks %s: %s", b, req.body)
		}
	}
}

func TestGeminiGenerate(t *testing.T) {
	clearProviderEnv(t)
	twoBooks := `{"books":[{"title":"Dune","author":"Frank Herbert","publisher":"","format":"Unknown","publication_year":2020,"publication_month":1,"significance":"x"},{"title":"Emma","author":"Jane Austen","publisher":"","format":"eBook","publication_year":2020,"publication_month":1,"significance":"y"}]}`
	tests := []struct {
		name        string
		script      [][2]any
		wantBooks   int
		wantRefusal string
		wantStatus  int // of the error; 0 = no error
		wantCalls   int
	}{
		{name: "books", script: [][2]any{{200, geminiAnswer(twoBooks, "STOP")}}, wantBooks: 2, wantCalls: 1},
		{name: "refusal", script: [][2]any{{200, geminiAnswer(`{"books":[],"error":"cannot verify"}`, "STOP")}}, wantRefusal: "cannot verify", wantCalls: 1},
		{name: "safety stop is a refusal", script: [][2]any{{200, geminiAnswer("", "SAFETY")}}, wantRefusal: "answer stopped: SAFETY", wantCalls: 1},
		{name: "blocked prompt", script: [][2]any{{200, `{"promptFeedback":{"blockReason":"OTHER"}}`}}, wantRefusal: "prompt blocked: OTHER", wantCalls: 1},
		{name: "retries 503 then succeeds", script: [][2]any{
			{503, `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`},
			{429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`},
			{200, geminiAnswer(twoBooks, "STOP")}}, wantBooks: 2, wantCalls: 3},
		{name: "bad key is a 400 error", script: [][2]any{{400, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`}},
			wantStatus: 400, wantCalls: 1},
		{name: "outage exhausts retries", script: [][2]any{{500, `{"error":{"code":500,"message":"internal","status":"INTERNAL"}}`}},
			wantStatus: 500, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []recorded
			srv := scriptedServer(t, tt.script, &seen)
			g, err := NewGemini(context.Background(), Options{Model: "gemini-2.5-flash", APIKey: testKey, BaseURL: srv.URL,
				MaxRetries: 2, RetryDelay: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			res := GenerateAll(context.Background(), []Generator{g}, testRequest, 10*time.Second)[0]
			if tt.wantStatus != 0 && StatusCode(res.Err) != tt.wantStatus {
				t.Fatalf("err = %v (status %d), want status %d", res.Err, StatusCode(res.Err), tt.wantStatus)
			}
			checkAnswer(t, res, seen, answer{calls: tt.wantCalls, books: tt.wantBooks, refusal: tt.wantRefusal, failed: tt.wantStatus != 0,
				path: "/v1beta/models/gemini-2.5-flash:generateContent", auth: testKey,
				body: []string{`"responseMimeType":"application/json"`, `"publication_month"`, `"significance"`, `"temperature":0.1`, "January 2020"}})
		})
	}
}

func TestXAIGenerate(t *testing.T) {
	clearProviderEnv(t)
	oneBook := `{"books":[{"title":"Dune","author":"Frank Herbert","publisher":"","format":"Unknown","publication_year":2020,"publication_month":1,"significance":"x"}]}`
	xaiBadKey := `{"code":"Client specified an invalid argument","error":"Incorrect API key provided: xa***. You can obtain an API key from https://console.x.ai."}`
	tests := []struct {
		name        string
		script      [][2]any
		wantBooks   int
		wantRefusal string
		wantStatus  int
		wantMessage string
		wantCalls   int
	}{
		{name: "books in a fence", script: [][2]any{{200, xaiAnswer("```json\n" + oneBook + "\n```")}}, wantBooks: 1, wantCalls: 1},
		{name: "refusal", script: [][2]any{{200, xaiAnswer(`{"error":"I can't verify historical significance for December 2023."}`)}},
			wantRefusal: "I can't verify historical significance for December 2023.", wantCalls: 1},
		{name: "empty content", script: [][2]any{{200, xaiAnswer("")}}, wantRefusal: "empty answer", wantCalls: 1},
		{name: "string error body keeps status and message", script: [][2]any{{400, xaiBadKey}},
			wantStatus: 400, wantMessage: "Incorrect API key provided", wantCalls: 1},
		{name: "429 string body retried then succeeds", script: [][2]any{{429, `{"code":"Too many requests","error":"rate limited"}`}, {200, xaiAnswer(oneBook)}},
			wantBooks: 1, wantCalls: 2},
		{name: "plain text 502 keeps status", script: [][2]any{{502, "upstream gone"}},
			wantStatus: 502, wantMessage: "upstream gone", wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []recorded
			srv := scriptedServer(t, tt.script, &seen)
			x, err := NewXAI(Options{Model: "grok-4", APIKey: testKey, BaseURL: srv.URL + "/v1", MaxRetries: 2})
			if err != nil {
				t.Fatal(err)
			}
			res := GenerateAll(context.Background(), []Generator{x}, testRequest, 30*time.Second)[0]
			if tt.wantStatus != 0 {
				var apiErr *openai.Error
				if !errors.As(res.Err, &apiErr) {
					t.Fatalf("err = %v, want an *openai.Error", res.Err)
				}
				if apiErr.StatusCode != tt.wantStatus || !strings.Contains(apiErr.Message, tt.wantMessage) {
					t.Errorf("status %d message %q; want %d containing %q", apiErr.StatusCode, apiErr.Message, tt.wantStatus, tt.wantMessage)
				}
			}
			checkAnswer(t, res, seen, answer{calls: tt.wantCalls, books: tt.wantBooks, refusal: tt.wantRefusal, failed: tt.wantStatus != 0,
				path: "/v1/chat/completions", auth: "Bearer " + testKey,
				body: []string{`"type":"json_schema"`, `"publication_month"`, `"format"`, "January 2020"}})
		})
	}
}

func TestPermanent(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{genai.APIError{Code: 400}, true},
		{&openai.Error{StatusCode: 401}, true},
		{&openai.Error{StatusCode: 429}, false},
		{genai.APIError{Code: 503}, false},
		{context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		if got := Permanent(tt.err); got != tt.want {
			t.Errorf("Permanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestGenerateAllTimesOutEachModel(t *testing.T) {
	clearProviderEnv(t)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	var seen []recorded
	fast := scriptedServer(t, [][2]any{{200, xaiAnswer(`[{"title":"Dune","author":"Frank Herbert"}]`)}}, &seen)
	g, err := NewGemini(context.Background(), Options{Model: "gemini-2.5-flash", APIKey: testKey, BaseURL: slow.URL})
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewXAI(Options{Model: "grok-4", APIKey: testKey, BaseURL: fast.URL + "/v1"})
	if err != nil {
		t.Fatal(err)
	}
	res := GenerateAll(context.Background(), []Generator{g, x}, testRequest, 200*time.Millisecond)
	if !errors.Is(res[0].Err, ErrTimeout) {
		t.Errorf("slow gemini: err = %v, want ErrTimeout", res[0].Err)
	}
	if res[1].Err != nil || len(res[1].Books) != 1 {
		t.Errorf("fast xai: %+v", res[1])
	}
}
