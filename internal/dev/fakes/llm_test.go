package fakes

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"google.golang.org/genai"
)

func TestParsePrompt(t *testing.T) {
	tests := []struct {
		name string
		text string
		want monthRequest
	}{
		{"month name", "List up to 15 notable books published in September 2020.", monthRequest{2020, 9, 15, false, true}},
		{"abbreviation", "Books from Sept. 2006, exactly 10 of them", monthRequest{2006, 9, 10, true, true}},
		{"iso month", "month=2019-04; give 12 historically significant books", monthRequest{2019, 4, 12, false, true}},
		{"default count", "What came out in March 1995?", monthRequest{1995, 3, 20, false, true}},
		{"no month", "List up to 5 books.", monthRequest{0, 0, 5, false, false}},
		{"capped", "up to 5000 books from May 2001", monthRequest{2001, 5, 100, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parsePrompt(tt.text); got != tt.want {
				t.Errorf("parsePrompt(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestGrokTitleAlwaysDiffersButNormalisesClose(t *testing.T) {
	for _, b := range DefaultCatalog().Notable(2014, 9) {
		g := GrokTitle(b)
		if g == b.FullTitle() {
			t.Errorf("GrokTitle(%q) left it unchanged", b.FullTitle())
		}
		if f := fraction(tokens(b.Title), tokens(g)); f < 0.66 {
			t.Errorf("GrokTitle(%q) = %q shares only %.0f%% of the words", b.FullTitle(), g, f*100)
		}
	}
}

const testSchemaJSON = `{"type":"object","properties":{"books":{"type":"array","items":{"type":"object",
 "properties":{"title":{"type":"string"},"author":{"type":"string"},"publisher":{"type":"string"},
 "format":{"type":"string"},"publication_year":{"type":"integer"},"significance":{"type":"string"}},
 "required":["title","author"]}}},"required":["books"]}`

func booksSchema(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(testSchemaJSON), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func newGenai(t *testing.T, srv *Server) *genai.Client {
	t.Helper()
	for _, v := range []string{"GOOGLE_GEMINI_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION"} {
		t.Setenv(v, "")
	}
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: "test-gemini-key", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.GeminiBaseURL()},
	})
	if err != nil {
		t.Fatalf("genai client: %v", err)
	}
	return c
}

type proposed struct {
	Title  string `json:"title"`
	Author string `json:"author"`
	Format string `json:"format"`
}

func decodeBooks(t *testing.T, text string) []proposed {
	t.Helper()
	text = strings.TrimSpace(text)
	text = strings.TrimSuffix(strings.TrimPrefix(text, "```json"), "```")
	var wrapped struct {
		Books []proposed `json:"books"`
	}
	if err := json.Unmarshal([]byte(text), &wrapped); err == nil {
		return wrapped.Books
	}
	var list []proposed
	if err := json.Unmarshal([]byte(text), &list); err != nil {
		t.Fatalf("answer is neither {books:[…]} nor […]: %v\n%s", err, text)
	}
	return list
}

func TestGeminiThroughRealSDK(t *testing.T) {
	srv := startFake(t, Options{Seed: 7})
	client := newGenai(t, srv)
	ctx := context.Background()
	cat := srv.Catalog()

	res, err := client.Models.GenerateContent(ctx, "gemini-2.5-flash",
		genai.Text("List up to 20 notable books published in September 2006."),
		&genai.GenerateContentConfig{
			SystemInstruction:  genai.NewContentFromText("You are a careful bibliographer.", genai.RoleUser),
			ResponseMIMEType:   "application/json",
			ResponseJsonSchema: booksSchema(t),
		})
	if err != nil {
		t.Fatalf("GenerateContent: %v", err)
	}
	if res.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Errorf("finish reason %q, want STOP", res.Candidates[0].FinishReason)
	}
	if u := res.UsageMetadata; u == nil || u.PromptTokenCount == 0 || u.CandidatesTokenCount == 0 || u.TotalTokenCount != u.PromptTokenCount+u.CandidatesTokenCount {
		t.Errorf("usage metadata %+v, want prompt+candidates=total, all non-zero", res.UsageMetadata)
	}
	books := decodeBooks(t, res.Text())
	if len(books) != 20 {
		t.Fatalf("got %d books, want 20", len(books))
	}
	truth := map[string]Kind{}
	for _, b := range slices.Concat(cat.Notable(2006, 9), cat.Fictional(2006, 9)) {
		truth[b.FullTitle()+"|"+b.Author] = b.Kind
	}
	kinds := map[Kind]int{}
	for _, b := range books {
		kinds[truth[b.Title+"|"+b.Author]]++
		if b.Format == "" {
			t.Errorf("%q has no format although the schema asks for one", b.Title)
		}
	}
	if kinds[KindNotable] != 18 || kinds[KindFictional] != 2 {
		t.Errorf("kinds of proposed books = %v, want 18 notable and 2 fictional", kinds)
	}
	if books[0].Title != "The Road" {
		t.Errorf("first proposal %q, want the month's most significant book, The Road", books[0].Title)
	}

	// A month whose answers come fenced, and a flat-array schema in Gemini's own Schema type.
	var fenced [2]int
	for y := 2000; y <= 2010 && fenced == [2]int{}; y++ {
		for m := 1; m <= 12; m++ {
			if GeminiFences(y, m) {
				fenced = [2]int{y, m}
				break
			}
		}
	}
	res, err = client.Models.GenerateContent(ctx, "gemini-2.5-flash",
		genai.Text("Give up to 5 books from "+monthNames[fenced[1]-1]+" "+itoa(fenced[0])),
		&genai.GenerateContentConfig{ResponseMIMEType: "application/json", ResponseSchema: &genai.Schema{
			Type: genai.TypeArray, Items: &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{
				"title": {Type: genai.TypeString}, "author": {Type: genai.TypeString}}}}})
	if err != nil {
		t.Fatalf("GenerateContent: %v", err)
	}
	if text := res.Text(); !strings.HasPrefix(text, "```json\n[") {
		t.Errorf("fenced month %v answered %q, want a ```json fence around an array", fenced, text[:min(20, len(text))])
	}
	if got := decodeBooks(t, res.Text()); len(got) != 5 || got[0].Format != "" {
		t.Errorf("got %d books (first %+v), want 5 with only the schema's fields", len(got), got[0])
	}

	// Too small an output budget truncates the JSON, as the real model does.
	res, err = client.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("up to 20 books of May 2021"),
		&genai.GenerateContentConfig{MaxOutputTokens: 50})
	if err != nil {
		t.Fatalf("GenerateContent: %v", err)
	}
	if res.Candidates[0].FinishReason != genai.FinishReasonMaxTokens || json.Valid([]byte(res.Text())) {
		t.Errorf("finish %q valid=%v, want MAX_TOKENS and truncated JSON", res.Candidates[0].FinishReason, json.Valid([]byte(res.Text())))
	}
}

func TestGeminiErrorsThroughRealSDK(t *testing.T) {
	srv := startFake(t, Options{Seed: 7})
	client := newGenai(t, srv)
	ctx := context.Background()
	generate := func() error {
		_, err := client.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("up to 3 books of May 2021"), nil)
		return err
	}
	tests := []struct {
		name       string
		faults     Faults
		wantCode   int
		wantStatus string
		wantDetail string
	}{
		{"rate limited", Faults{RateLimitRate: 1, RetryAfterSeconds: 7}, 429, "RESOURCE_EXHAUSTED", "PerMinute"},
		{"daily quota", Faults{QuotaExhaustedAfter: Ptr(0)}, 429, "RESOURCE_EXHAUSTED", "PerDay"},
		{"overloaded", Faults{Outage: true}, 503, "UNAVAILABLE", ""},
		{"server error", Faults{ErrorRate: 1}, 500, "INTERNAL", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := srv.SetFaults(ProviderGemini, tt.faults); err != nil {
				t.Fatal(err)
			}
			var ae genai.APIError
			if err := generate(); !errors.As(err, &ae) || ae.Code != tt.wantCode || ae.Status != tt.wantStatus {
				t.Fatalf("error %v, want APIError %d %s", err, tt.wantCode, tt.wantStatus)
			}
			raw, _ := json.Marshal(ae.Details)
			if tt.wantDetail != "" && !strings.Contains(string(raw), tt.wantDetail) {
				t.Errorf("details %s do not name a %s quota", raw, tt.wantDetail)
			}
		})
	}
	if err := srv.SetFaults(ProviderGemini, Faults{RefuseAll: true}); err != nil {
		t.Fatal(err)
	}
	res, err := client.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("up to 3 books of May 2021"), nil)
	if err != nil || !strings.Contains(res.Text(), `"error"`) {
		t.Errorf("refusal: %v %q, want an {\"error\": …} answer", err, res.Text())
	}
	if err := srv.SetFaults(ProviderGemini, Faults{EmptyAnswer: true}); err != nil {
		t.Fatal(err)
	}
	res, err = client.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("up to 3 books of May 2021"), nil)
	if err != nil || res.Text() != "" {
		t.Errorf("empty answer: %v %q, want no text", err, res.Text())
	}
	// Without a key the SDK refuses to start, so send the request by hand.
	r := do(t, http.MethodPost, srv.GeminiBaseURL()+"v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[]}`)
	if r.status != http.StatusForbidden || r.json(t)["error"].(map[string]any)["status"] != "PERMISSION_DENIED" {
		t.Errorf("no key: %d %s, want 403 PERMISSION_DENIED", r.status, r.body)
	}
	if calls := srv.Calls()[ProviderGemini]; calls != 7 {
		t.Errorf("gemini calls = %d, want 7 (every request counts, failed ones too)", calls)
	}
}

func newXAI(srv *Server, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(srv.XAIBaseURL()),
		option.WithAPIKey("test-xai-key"), option.WithMaxRetries(0)}, opts...)...)
}

func grokParams(t *testing.T, prompt string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "grok-4-1-fast-non-reasoning",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You are a careful bibliographer."), openai.UserMessage(prompt)},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "books", Schema: booksSchema(t), Strict: openai.Bool(true)}}},
	}
}

func TestXAIThroughRealSDK(t *testing.T) {
	srv := startFake(t, Options{Seed: 7})
	client := newXAI(srv)
	ctx := context.Background()

	resp, err := client.Chat.Completions.New(ctx, grokParams(t, "List up to 20 notable books published in September 2006."))
	if err != nil {
		t.Fatalf("chat completion: %v", err)
	}
	if resp.Usage.PromptTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Errorf("usage %+v, want non-zero prompt tokens adding up", resp.Usage)
	}
	grok := decodeBooks(t, resp.Choices[0].Message.Content)
	if len(grok) != 20 {
		t.Fatalf("got %d books, want 20", len(grok))
	}
	gemini := srv.Catalog().GeminiPicks(2006, 9, 20)
	overlap := 0
	for _, g := range grok {
		if slices.ContainsFunc(gemini, func(b Book) bool { return b.FullTitle() == g.Title }) {
			t.Errorf("Grok spelled %q exactly as the catalog; overlapping titles must differ", g.Title)
		}
		if slices.ContainsFunc(gemini, func(b Book) bool { return GrokTitle(b) == g.Title }) {
			overlap++
		}
	}
	if overlap < 5 || overlap > 15 {
		t.Errorf("Grok and Gemini share %d of 20 books, want a partial overlap (5..15)", overlap)
	}

	// Refusals: the seed's months always; most 2020+ months when asked for an exact count.
	for _, tt := range []struct {
		prompt string
		refuse bool
	}{
		{"List up to 20 notable books published in September 2020.", true},
		{"List up to 20 notable books published in December 2023.", true},
		{"List up to 20 notable books published in March 2021.", GrokRefuses(2021, 3, false)},
		{"List exactly 20 notable books published in March 2021.", GrokRefuses(2021, 3, true)},
	} {
		resp, err := client.Chat.Completions.New(ctx, grokParams(t, tt.prompt))
		if err != nil {
			t.Fatalf("%s: %v", tt.prompt, err)
		}
		var refusal struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal([]byte(resp.Choices[0].Message.Content), &refusal)
		if (refusal.Error != "") != tt.refuse {
			t.Errorf("%q: answer %.80q, refusal want %v", tt.prompt, resp.Choices[0].Message.Content, tt.refuse)
		}
	}
	refusing := 0
	for m := 1; m <= 12; m++ {
		if GrokRefuses(2020, m, true) {
			refusing++
		}
	}
	if refusing < 6 {
		t.Errorf("Grok refuses %d of 12 months of 2020 when asked for exactly N, want most (the seed saw 9)", refusing)
	}
}

func TestXAIErrorBodyDefeatsOpenAIErrorParsing(t *testing.T) {
	srv := startFake(t, Options{Seed: 7, Faults: map[string]Faults{ProviderXAI: {RateLimitRate: 1, RetryAfterSeconds: 0}}})
	var statuses []int
	client := newXAI(srv, option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		res, err := next(r)
		if res != nil {
			statuses = append(statuses, res.StatusCode)
		}
		return res, err
	}))
	_, err := client.Chat.Completions.New(context.Background(), grokParams(t, "up to 3 books of May 2021"))
	var oe *openai.Error
	if err == nil || errors.As(err, &oe) {
		t.Errorf("error %v: want a plain decode error, since xAI's \"error\" is a string", err)
	}
	if !slices.Equal(statuses, []int{429}) {
		t.Errorf("statuses seen by middleware %v, want [429]", statuses)
	}
	r := do(t, http.MethodPost, srv.XAIBaseURL()+"chat/completions", `{"model":"grok-4","messages":[]}`)
	body := r.json(t)
	if _, isString := body["error"].(string); r.status != http.StatusBadRequest || !isString || body["code"] == nil {
		t.Errorf("missing key: %d %s, want 400 {\"code\":…,\"error\":\"…\"}", r.status, r.body)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestXAITruncatesAtMaxCompletionTokens(t *testing.T) {
	srv := startFake(t, Options{})
	p := grokParams(t, "List up to 20 notable books published in September 2006.")
	p.MaxCompletionTokens = openai.Int(40)
	client := newXAI(srv)
	resp, err := client.Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Choices[0]; c.FinishReason != "length" || json.Valid([]byte(c.Message.Content)) || resp.Usage.CompletionTokens != 40 {
		t.Errorf("finish %q, valid JSON %v, completion tokens %d; want length, truncated, 40", c.FinishReason, json.Valid([]byte(c.Message.Content)), resp.Usage.CompletionTokens)
	}
}

func TestLatencyOutlastsAShortClientTimeout(t *testing.T) {
	srv := startFake(t, Options{Faults: map[string]Faults{ProviderXAI: {LatencyMS: 5000}}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	client := newXAI(srv)
	_, err := client.Chat.Completions.New(ctx, grokParams(t, "up to 3 books of May 2021"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the client's deadline to expire while the fake delays", err)
	}
	if got := srv.Calls()[ProviderXAI]; got != 1 {
		t.Errorf("xai calls = %d, want 1 (a delayed request still counts)", got)
	}
}
