package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// DefaultXAIBaseURL is xAI's OpenAI-compatible endpoint.
const DefaultXAIBaseURL = "https://api.x.ai/v1"

const xaiTemperature = 0.2

// XAI asks a Grok model through xAI's OpenAI-compatible chat completions API.
type XAI struct {
	client    openai.Client
	model     string
	transport *countingTransport
}

// NewXAI builds an xAI generator. Explicit options override any OPENAI_* environment variables
// the SDK would otherwise pick up.
func NewXAI(o Options) (*XAI, error) {
	if o.APIKey == "" {
		return nil, errors.New("xai: no API key")
	}
	if o.Model == "" {
		return nil, errors.New("xai: no model")
	}
	baseURL := o.BaseURL
	if baseURL == "" {
		baseURL = DefaultXAIBaseURL
	}
	transport := newCountingTransport(o.Transport, o.MaxAnswerBytes)
	client := openai.NewClient(
		option.WithBaseURL(baseURL),
		option.WithAPIKey(o.APIKey),
		option.WithHTTPClient(&http.Client{Transport: transport}),
		option.WithMaxRetries(o.MaxRetries),
		option.WithMiddleware(reshapeXAIError),
	)
	return &XAI{client: client, model: o.Model, transport: transport}, nil
}

func (x *XAI) Provider() string { return ProviderXAI }
func (x *XAI) Model() string    { return x.model }
func (x *XAI) Calls() int       { return x.transport.count() }

// Generate asks the model once (plus the SDK's retries).
func (x *XAI) Generate(ctx context.Context, req Request) (Parsed, error) {
	var messages []openai.ChatCompletionMessageParamUnion
	if req.System != "" {
		messages = append(messages, openai.SystemMessage(req.System))
	}
	messages = append(messages, openai.UserMessage(req.User))
	resp, err := x.client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:       x.model,
		Messages:    messages,
		Temperature: openai.Float(xaiTemperature),
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
				JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
					Name:   "books",
					Schema: ResponseSchema(),
					Strict: openai.Bool(true),
				},
			},
		},
	})
	if err != nil {
		return Parsed{}, describe(ProviderXAI, x.model, err)
	}
	if len(resp.Choices) == 0 {
		return Parsed{Refusal: "no choices in the answer"}, nil
	}
	choice := resp.Choices[0]
	msg := choice.Message
	if msg.Refusal != "" && strings.TrimSpace(msg.Content) == "" {
		return Parsed{Refusal: clean(msg.Refusal, maxRefusalLen)}, nil
	}
	if choice.FinishReason == "content_filter" && strings.TrimSpace(msg.Content) == "" {
		return Parsed{Refusal: "answer stopped: content_filter"}, nil
	}
	parsed, err := ParseBooks(msg.Content)
	// "length": the completion hit max_tokens and its JSON is cut.
	if choice.FinishReason == "length" {
		parsed.Truncated, parsed.StopReason = true, "length"
	}
	if err != nil {
		return Parsed{}, fmt.Errorf("xai %s: %w%s", x.model, err, stopNote(parsed))
	}
	return parsed, nil
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// reshapeXAIError rewrites xAI's error bodies, whose "error" is a string
// ({"code": "…", "error": "Incorrect API key provided: …"}), into the {"error": {"message", "code"}}
// object openai-go decodes. Without it the SDK fails with "cannot unmarshal string" and the HTTP
// status and message are lost.
func reshapeXAIError(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	res, err := next(req)
	if err != nil || res == nil || res.StatusCode < 400 || res.Body == nil {
		return res, err
	}
	body, readErr := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	_ = res.Body.Close()
	if readErr != nil {
		body = nil
	}
	reshaped := reshapeErrorBody(res.StatusCode, body)
	res.Body = io.NopCloser(bytes.NewReader(reshaped))
	res.ContentLength = int64(len(reshaped))
	res.Header.Set("Content-Length", strconv.Itoa(len(reshaped)))
	res.Header.Set("Content-Type", "application/json")
	return res, nil
}

func reshapeErrorBody(status int, body []byte) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil {
		if raw, ok := obj["error"]; ok && len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] == '{' {
			return body // already OpenAI's shape
		}
	}
	out := struct {
		Error struct {
			Message string `json:"message"`
			Code    string `json:"code"`
			Type    string `json:"type"`
			Param   string `json:"param"`
		} `json:"error"`
	}{}
	var message string
	if raw, ok := obj["error"]; ok {
		_ = json.Unmarshal(raw, &message)
	}
	if raw, ok := obj["code"]; ok {
		out.Error.Code = stringOf(raw)
	}
	if message == "" {
		message = strings.TrimSpace(string(body))
	}
	if message == "" {
		message = http.StatusText(status)
	}
	out.Error.Message = clean(message, 500)
	reshaped, _ := json.Marshal(out)
	return reshaped
}
