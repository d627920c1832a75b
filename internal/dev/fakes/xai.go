package fakes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// xAI chat completions (providers.md §5) at /v1/chat/completions, OpenAI's wire format. It
// answers with GrokPicks, titles rewritten by GrokTitle, refuses the GrokRefuses months with
// {"error": "..."} as its message content, and follows response_format (json_schema, json_object
// or none). Errors use xAI's own {"code": "...", "error": "<string>"} body, which openai-go cannot
// parse into *openai.Error: that is the point.

func (s *Server) xaiFake() fake {
	return fake{
		name:   ProviderXAI,
		routes: map[string]http.HandlerFunc{"POST /v1/chat/completions": s.xaiChat},
		notFound: func(w http.ResponseWriter, _ *http.Request) {
			xaiError(w, http.StatusNotFound, "Some requested entity was not found", "The requested resource was not found.")
		},
		auth: func(w http.ResponseWriter, r *http.Request) bool {
			key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || strings.TrimSpace(key) == "" {
				xaiError(w, http.StatusBadRequest, "Client specified an invalid argument",
					"Incorrect API key provided: ***. You can obtain an API key from https://console.x.ai.")
				return true
			}
			return false
		},
		fail: func(w http.ResponseWriter, kind failure, retryAfter int) {
			switch kind {
			case failOutage:
				xaiError(w, http.StatusServiceUnavailable, "The service is currently unavailable", "The service is currently unavailable. Please try again later.")
			case failServer:
				xaiError(w, http.StatusInternalServerError, "Internal error", "An internal error occurred while processing the request.")
			case failRateLimit:
				xaiError(w, http.StatusTooManyRequests, "Some resource has been exhausted",
					"Too many requests: the requests-per-minute limit of your team for this model has been exceeded.")
			case failQuota:
				xaiError(w, http.StatusTooManyRequests, "Some resource has been exhausted",
					"Your team has either used all available credits or reached its monthly spending limit. To continue making API requests, please purchase more credits or raise your spending limit.")
			}
		},
	}
}

func xaiError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"code": code, "error": message})
}

type xaiRequest struct {
	Model               string `json:"model"`
	MaxTokens           int    `json:"max_tokens"`
	MaxCompletionTokens int    `json:"max_completion_tokens"`
	Messages            []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string         `json:"name"`
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// messageText reads a message content that is either a string or a list of {type,text} parts.
func messageText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var out []string
	for _, p := range parts {
		out = append(out, p.Text)
	}
	return strings.Join(out, "\n")
}

func (s *Server) xaiChat(w http.ResponseWriter, r *http.Request) {
	var req xaiRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		xaiError(w, http.StatusBadRequest, "Client specified an invalid argument", "Failed to deserialize the JSON body into the target type: "+err.Error())
		return
	}
	if !strings.HasPrefix(req.Model, "grok") {
		xaiError(w, http.StatusNotFound, "Some requested entity was not found",
			fmt.Sprintf("The model %s does not exist or your team does not have access to it.", req.Model))
		return
	}
	if len(req.Messages) == 0 {
		xaiError(w, http.StatusBadRequest, "Client specified an invalid argument", "messages must not be empty")
		return
	}
	var user, system []string
	for _, m := range req.Messages {
		if m.Role == "system" || m.Role == "developer" {
			system = append(system, messageText(m.Content))
		} else {
			user = append(user, messageText(m.Content))
		}
	}
	prompt := strings.Join(append(append([]string{}, system...), user...), "\n")
	mr := parsePrompt(append(user, system...)...)
	faults := faultsFrom(r.Context())

	var content string
	switch {
	case faults.EmptyAnswer:
		content = ""
	case faults.RefuseAll || !mr.found || GrokRefuses(mr.year, mr.month, mr.exactly):
		content = fmt.Sprintf(`{"error": "I can't verify which books were historically significant in %s; I would rather not invent titles."}`, monthLabel(mr))
	default:
		wrapper, props := "books", []string(nil)
		if rf := req.ResponseFormat; rf != nil && rf.Type == "json_schema" && rf.JSONSchema != nil {
			if wr, p, known := schemaShape(rf.JSONSchema.Schema); known {
				wrapper, props = wr, p
			}
		}
		var books []llmBook
		for _, b := range s.catalog.GrokPicks(mr.year, mr.month, mr.books) {
			lb := asLLMBook(b)
			lb.Title, lb.Author = GrokTitle(b), GrokAuthor(b)
			books = append(books, lb)
		}
		content = renderBooks(books, wrapper, props)
	}
	promptTokens, completion := tokenCount(prompt), tokenCount(content)
	finish := "stop"
	if limit := max(req.MaxTokens, req.MaxCompletionTokens); limit > 0 && completion > limit {
		content, completion, finish = truncateUTF8(content, limit*4), limit, "length"
	}
	if faults.TruncateAnswers && len(content) > 2 && finish == "stop" {
		content = truncateUTF8(content, len(content)*2/3)
		completion, finish = tokenCount(content), "length"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":      fmt.Sprintf("%016x", seedFor("xai-response", prompt)),
		"object":  "chat.completion",
		"created": s.now().Unix(),
		"model":   req.Model,
		"choices": []map[string]any{{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": content, "refusal": nil},
			"finish_reason": finish,
		}},
		"usage": map[string]any{
			"prompt_tokens": promptTokens, "completion_tokens": completion, "total_tokens": promptTokens + completion,
			"prompt_tokens_details":     map[string]int{"text_tokens": promptTokens, "audio_tokens": 0, "image_tokens": 0, "cached_tokens": 0},
			"completion_tokens_details": map[string]int{"reasoning_tokens": 0, "audio_tokens": 0},
		},
		"system_fingerprint": "fp_fake",
	})
}
