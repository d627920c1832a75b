package llm

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"google.golang.org/genai"
)

// ErrorClass says what a provider error means for the attempt.
type ErrorClass string

const (
	// ClassQuota: the provider's quota for the day (or the account's credits) is spent; asking
	// again before the reset is wasted. The attempt reports the provider as quota-exhausted.
	ClassQuota ErrorClass = "QuotaExhausted"
	// ClassAuth: the key is wrong, expired or not allowed; no retry can help.
	ClassAuth ErrorClass = "AuthFailed"
	// ClassRateLimited: a per-minute limit; it clears after the provider's Retry-After.
	ClassRateLimited ErrorClass = "RateLimited"
	// ClassRejected: the request itself is wrong (unknown model, bad parameter); no retry can help.
	ClassRejected ErrorClass = "RequestRejected"
	// ClassTooLarge: the answer was larger than the configured bound and was not read.
	ClassTooLarge ErrorClass = "AnswerTooLarge"
	// ClassTransient: an outage, a timeout or a garbled answer; another attempt may succeed.
	ClassTransient ErrorClass = "Transient"
)

// Classified is a provider error with its meaning.
type Classified struct {
	Class      ErrorClass
	Status     int           // HTTP status, 0 when there was no answer
	RetryAfter time.Duration // the provider's requested wait, 0 when it gave none
	Detail     string        // the provider's own words (message, quota id), never a key
}

// Classify reads a generator error: the HTTP status, the provider's message and quota details.
func Classify(err error) Classified {
	if err == nil {
		return Classified{}
	}
	if errors.Is(err, ErrAnswerTooLarge) {
		return Classified{Class: ClassTooLarge, Detail: err.Error()}
	}
	if ge, ok := geminiError(err); ok {
		return classifyGemini(ge)
	}
	var oe *openai.Error
	if errors.As(err, &oe) {
		return classifyXAI(oe)
	}
	return Classified{Class: ClassTransient, Detail: err.Error()}
}

func geminiError(err error) (genai.APIError, bool) {
	var v genai.APIError
	if errors.As(err, &v) {
		return v, true
	}
	var p *genai.APIError
	if errors.As(err, &p) && p != nil {
		return *p, true
	}
	return genai.APIError{}, false
}

// retryIn reads Gemini's "Please retry in 29.7s." from a message.
var retryIn = regexp.MustCompile(`(?i)retry in ([0-9]+(?:\.[0-9]+)?)s`)

func classifyGemini(e genai.APIError) Classified {
	c := Classified{Status: e.Code, Detail: clean(e.Message, 300)}
	var quotaIDs, reasons []string
	for _, d := range e.Details {
		typ, _ := d["@type"].(string)
		switch {
		case strings.HasSuffix(typ, "google.rpc.QuotaFailure"):
			violations, _ := d["violations"].([]any)
			for _, v := range violations {
				if m, ok := v.(map[string]any); ok {
					if id, _ := m["quotaId"].(string); id != "" {
						quotaIDs = append(quotaIDs, id)
					}
				}
			}
		case strings.HasSuffix(typ, "google.rpc.RetryInfo"):
			if s, _ := d["retryDelay"].(string); s != "" {
				if dur, err := time.ParseDuration(s); err == nil {
					c.RetryAfter = dur
				}
			}
		case strings.HasSuffix(typ, "google.rpc.ErrorInfo"):
			if r, _ := d["reason"].(string); r != "" {
				reasons = append(reasons, r)
			}
		}
	}
	if c.RetryAfter == 0 {
		if m := retryIn.FindStringSubmatch(e.Message); m != nil {
			if f, err := strconv.ParseFloat(m[1], 64); err == nil {
				c.RetryAfter = time.Duration(f * float64(time.Second))
			}
		}
	}
	if len(quotaIDs) > 0 {
		c.Detail += " (quota " + strings.Join(quotaIDs, ", ") + ")"
	}
	perDay := strings.Contains(strings.ToLower(e.Message), "per day")
	for _, id := range quotaIDs {
		perDay = perDay || strings.Contains(id, "PerDay")
	}
	authReason := false
	for _, r := range reasons {
		authReason = authReason || r == "API_KEY_INVALID" || r == "API_KEY_EXPIRED" || r == "SERVICE_DISABLED"
	}
	c.Class = classOf(e.Code, e.Code == http.StatusTooManyRequests && perDay,
		authReason || (e.Code == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "api key")))
	return c
}

// xaiQuotaWords mark a 429 (or 402) from xAI that no wait within the day clears: the team's
// credits or spending limit are used up.
var xaiQuotaWords = []string{"credit", "spending limit", "exhausted", "quota", "billing", "per day", "daily"}

func classifyXAI(e *openai.Error) Classified {
	c := Classified{Status: e.StatusCode, Detail: clean(strings.TrimSpace(e.Message+" "+codeNote(e.Code)), 300)}
	if e.Response != nil {
		c.RetryAfter = retryAfterHeader(e.Response.Header)
	}
	lower := strings.ToLower(e.Message + " " + e.Code)
	quota := false
	for _, w := range xaiQuotaWords {
		quota = quota || strings.Contains(lower, w)
	}
	c.Class = classOf(e.StatusCode, e.StatusCode == http.StatusPaymentRequired || (e.StatusCode == http.StatusTooManyRequests && quota),
		strings.Contains(lower, "api key"))
	return c
}

// classOf is the class of a provider's HTTP error once the provider's own signs are read: that
// its quota is spent for the day, or that the key is wrong (beyond a 401 or 403).
func classOf(status int, quotaSpent, badKey bool) ErrorClass {
	switch {
	case quotaSpent:
		return ClassQuota
	case status == http.StatusTooManyRequests:
		return ClassRateLimited
	case status == http.StatusUnauthorized || status == http.StatusForbidden || badKey:
		return ClassAuth
	case status >= 400 && status < 500 && status != http.StatusRequestTimeout:
		return ClassRejected
	}
	return ClassTransient
}

func codeNote(code string) string {
	if code == "" {
		return ""
	}
	return "(" + code + ")"
}

// retryAfterHeader reads Retry-After (seconds or an HTTP date) or Retry-After-Ms.
func retryAfterHeader(h http.Header) time.Duration {
	if ms, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After-Ms"))); err == nil && ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs > 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// describe renders a provider error with its cause, for the attempt's error and summary: the
// SDKs' own Error() strings drop it (openai-go says only "429 Too Many Requests").
func describe(provider, model string, err error) error {
	c := Classify(err)
	if c.Status == 0 {
		return fmt.Errorf("%s %s: %w", provider, model, err)
	}
	msg := fmt.Sprintf("%s %s: HTTP %d %s: %s", provider, model, c.Status, c.Class, c.Detail)
	if c.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", c.RetryAfter.Round(100*time.Millisecond))
	}
	return &providerError{msg: msg, err: err}
}

type providerError struct {
	msg string
	err error
}

func (p *providerError) Error() string { return p.msg }
func (p *providerError) Unwrap() error { return p.err }
