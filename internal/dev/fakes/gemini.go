package fakes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Gemini generateContent (providers.md §4) at /v1beta/models/{model}:generateContent.
// It answers with the month's notable books (GeminiPicks), in the shape the request's
// responseSchema/responseJsonSchema asks for (or the prompt's {"books": …} when there is none),
// wrapped in ```json fences on some months (GeminiFences), truncated with finishReason MAX_TOKENS
// when maxOutputTokens is too small. Errors use Google's envelope; a missing key is 403
// PERMISSION_DENIED; injected 429s carry QuotaFailure and RetryInfo details.

func (s *Server) geminiFake() fake {
	return fake{
		name:   ProviderGemini,
		routes: map[string]http.HandlerFunc{"POST /v1beta/models/{target}": s.geminiGenerate},
		notFound: func(w http.ResponseWriter, _ *http.Request) {
			geminiError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", nil)
		},
		auth: func(w http.ResponseWriter, r *http.Request) bool {
			if r.Header.Get("x-goog-api-key") == "" && r.URL.Query().Get("key") == "" {
				geminiError(w, http.StatusForbidden, "PERMISSION_DENIED",
					"Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", nil)
				return true
			}
			return false
		},
		fail: func(w http.ResponseWriter, kind failure, retryAfter int) {
			switch kind {
			case failOutage:
				geminiError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "The model is overloaded. Please try again later.", nil)
			case failServer:
				geminiError(w, http.StatusInternalServerError, "INTERNAL",
					"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting", nil)
			case failRateLimit:
				geminiQuota(w, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "10", retryAfter)
			case failQuota:
				geminiQuota(w, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "20", 0)
			}
		},
	}
}

func geminiError(w http.ResponseWriter, status int, code, message string, details []map[string]any) {
	e := map[string]any{"code": status, "message": message, "status": code}
	if details != nil {
		e["details"] = details
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func geminiQuota(w http.ResponseWriter, quotaID, value string, retryAfter int) {
	delay := max(retryAfter, 1)
	if strings.Contains(quotaID, "PerDay") {
		delay = 29 // what the real one says, though a per-day quota will not clear that soon
	}
	geminiError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
		fmt.Sprintf("You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. Please retry in %d.0s.", delay),
		[]map[string]any{
			{"@type": "type.googleapis.com/google.rpc.Help", "links": []map[string]string{{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}}},
			{"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []map[string]any{{
				"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": quotaID,
				"quotaDimensions": map[string]string{"location": "global", "model": "gemini-2.5-flash"}, "quotaValue": value}}},
			{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": fmt.Sprintf("%ds", delay)},
		})
}

type geminiContent struct {
	Role  string `json:"role,omitempty"`
	Parts []struct {
		Text string `json:"text,omitempty"`
	} `json:"parts"`
}

type geminiRequest struct {
	Contents          []geminiContent `json:"contents"`
	SystemInstruction *geminiContent  `json:"systemInstruction"`
	GenerationConfig  struct {
		ResponseMimeType   string         `json:"responseMimeType"`
		ResponseSchema     map[string]any `json:"responseSchema"`
		ResponseJSONSchema map[string]any `json:"responseJsonSchema"`
		MaxOutputTokens    int            `json:"maxOutputTokens"`
	} `json:"generationConfig"`
}

// GeminiFences reports whether the Gemini fake wraps its JSON in ```json fences for a month.
func GeminiFences(year, month int) bool {
	return seedFor("gemini-fence", fmt.Sprint(year), fmt.Sprint(month))%5 == 0
}

func (s *Server) geminiGenerate(w http.ResponseWriter, r *http.Request) {
	model, method, _ := strings.Cut(r.PathValue("target"), ":")
	if method != "generateContent" {
		geminiError(w, http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", nil)
		return
	}
	if !strings.HasPrefix(model, "gemini-") {
		geminiError(w, http.StatusNotFound, "NOT_FOUND",
			fmt.Sprintf("models/%s is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.", model), nil)
		return
	}
	var req geminiRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		geminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error(), nil)
		return
	}
	gc := req.GenerationConfig
	switch {
	case len(req.Contents) == 0:
		geminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified\n", nil)
		return
	case gc.ResponseSchema != nil && gc.ResponseJSONSchema != nil:
		geminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "responseSchema and responseJsonSchema cannot both be set.", nil)
		return
	case (gc.ResponseSchema != nil || gc.ResponseJSONSchema != nil) && gc.ResponseMimeType != "application/json":
		geminiError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "response_mime_type must be application/json when a response schema is set.", nil)
		return
	}
	var user, system []string
	for _, c := range req.Contents {
		for _, p := range c.Parts {
			user = append(user, p.Text)
		}
	}
	if req.SystemInstruction != nil {
		for _, p := range req.SystemInstruction.Parts {
			system = append(system, p.Text)
		}
	}
	prompt := strings.Join(append(append([]string{}, system...), user...), "\n")
	mr := parsePrompt(append(user, system...)...)
	faults := faultsFrom(r.Context())

	var text string
	switch {
	case faults.EmptyAnswer:
		text = ""
	case faults.RefuseAll:
		text = fmt.Sprintf(`{"error": "I cannot verify which books were published in %s with enough confidence."}`, monthLabel(mr))
	default:
		schema := gc.ResponseJSONSchema
		if schema == nil {
			schema = gc.ResponseSchema
		}
		wrapper, props, known := schemaShape(schema)
		if !known && strings.Contains(prompt, `{"books"`) {
			wrapper = "books"
		}
		var books []llmBook
		if mr.found {
			for _, b := range s.catalog.GeminiPicks(mr.year, mr.month, mr.books) {
				books = append(books, asLLMBook(b))
			}
		}
		text = renderBooks(books, wrapper, props)
		if mr.found && GeminiFences(mr.year, mr.month) {
			text = "```json\n" + text + "\n```"
		}
	}
	finish := "STOP"
	completion := tokenCount(text)
	if gc.MaxOutputTokens > 0 && completion > gc.MaxOutputTokens {
		text = truncateUTF8(text, gc.MaxOutputTokens*4)
		completion = gc.MaxOutputTokens
		finish = "MAX_TOKENS"
	}
	if faults.TruncateAnswers && len(text) > 2 && finish == "STOP" {
		text = truncateUTF8(text, len(text)*2/3)
		completion, finish = tokenCount(text), "MAX_TOKENS"
	}
	content := map[string]any{"role": "model", "parts": []map[string]string{{"text": text}}}
	if faults.EmptyAnswer {
		content = map[string]any{"role": "model"}
	}
	promptTokens := tokenCount(prompt)
	writeJSON(w, http.StatusOK, map[string]any{
		"candidates": []map[string]any{{"content": content, "finishReason": finish, "index": 0}},
		"usageMetadata": map[string]any{"promptTokenCount": promptTokens, "candidatesTokenCount": completion,
			"totalTokenCount":     promptTokens + completion,
			"promptTokensDetails": []map[string]any{{"modality": "TEXT", "tokenCount": promptTokens}}},
		"modelVersion": model,
		"responseId":   fmt.Sprintf("%016x", seedFor("gemini-response", prompt))[:12],
	})
}

func monthLabel(mr monthRequest) string {
	if !mr.found || mr.month < 1 || mr.month > 12 {
		return "the requested month"
	}
	return fmt.Sprintf("%s %d", monthNames[mr.month-1], mr.year)
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
