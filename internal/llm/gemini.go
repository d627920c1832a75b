package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/genai"
)

// Gemini asks a Gemini model through google.golang.org/genai (the successor of the deprecated
// github.com/google/generative-ai-go), with structured JSON output.
type Gemini struct {
	client    *genai.Client
	model     string
	transport *countingTransport
}

// Generation settings for Gemini: a low temperature, because the task is recall, not invention.
const (
	geminiTemperature     = 0.1
	geminiMaxOutputTokens = 16384
)

// NewGemini builds a Gemini generator. The API key and backend are set explicitly so that
// environment variables (GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_API_KEY) cannot redirect it.
func NewGemini(ctx context.Context, o Options) (*Gemini, error) {
	if o.APIKey == "" {
		return nil, errors.New("gemini: no API key")
	}
	if o.Model == "" {
		return nil, errors.New("gemini: no model")
	}
	transport := newCountingTransport(o.Transport, o.MaxAnswerBytes)
	httpOptions := genai.HTTPOptions{BaseURL: o.BaseURL}
	if o.MaxRetries > 0 {
		attempts := int32(o.MaxRetries + 1)
		httpOptions.RetryOptions = &genai.HTTPRetryOptions{Attempts: &attempts}
		if o.RetryDelay > 0 {
			initial := o.RetryDelay.Seconds()
			httpOptions.RetryOptions.InitialDelay = &initial
		}
	}
	client, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      o.APIKey,
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  &http.Client{Transport: transport},
		HTTPOptions: httpOptions,
	})
	if err != nil {
		return nil, fmt.Errorf("gemini: creating client: %w", err)
	}
	return &Gemini{client: client, model: o.Model, transport: transport}, nil
}

func (g *Gemini) Provider() string { return ProviderGemini }
func (g *Gemini) Model() string    { return g.model }
func (g *Gemini) Calls() int       { return g.transport.count() }

// Generate asks the model once (plus the SDK's retries).
func (g *Gemini) Generate(ctx context.Context, req Request) (Parsed, error) {
	cfg := &genai.GenerateContentConfig{
		ResponseMIMEType:   "application/json",
		ResponseJsonSchema: ResponseSchema(),
		Temperature:        genai.Ptr[float32](geminiTemperature),
		MaxOutputTokens:    geminiMaxOutputTokens,
	}
	if req.System != "" {
		cfg.SystemInstruction = genai.NewContentFromText(req.System, genai.RoleUser)
	}
	res, err := g.client.Models.GenerateContent(ctx, g.model, genai.Text(req.User), cfg)
	if err != nil {
		return Parsed{}, describe(ProviderGemini, g.model, err)
	}
	if len(res.Candidates) == 0 {
		if res.PromptFeedback != nil && res.PromptFeedback.BlockReason != "" {
			return Parsed{Refusal: "prompt blocked: " + string(res.PromptFeedback.BlockReason)}, nil
		}
		return Parsed{Refusal: "no candidates in the answer"}, nil
	}
	reason := res.Candidates[0].FinishReason
	switch reason {
	case "", genai.FinishReasonStop, genai.FinishReasonMaxTokens:
		// MAX_TOKENS leaves the JSON cut; the parser keeps every complete book and the cut is
		// reported below.
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonBlocklist,
		genai.FinishReasonProhibitedContent, genai.FinishReasonSPII, genai.FinishReasonLanguage:
		return Parsed{Refusal: "answer stopped: " + string(reason)}, nil
	default:
		return Parsed{}, fmt.Errorf("gemini %s: answer stopped with finish reason %s", g.model, reason)
	}
	parsed, err := ParseBooks(res.Text())
	if reason == genai.FinishReasonMaxTokens {
		parsed.Truncated, parsed.StopReason = true, string(reason)
	}
	if err != nil {
		return Parsed{}, fmt.Errorf("gemini %s: %w%s", g.model, err, stopNote(parsed))
	}
	return parsed, nil
}
