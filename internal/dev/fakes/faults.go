package fakes

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
)

// Faults is what can go wrong with one provider. The zero value is a healthy provider. Every
// random choice is a pure function of (seed, provider, request number), so a run with the same
// seed and the same sequence of requests fails the same way.
//
// JSON shape (all fields optional), as used by GET/PUT /_fake/faults and the --faults file:
//
//	{"latencyMs":0,"jitterMs":0,"errorRate":0,"rateLimitRate":0,"retryAfterSeconds":1,
//	 "malformedRate":0,"outage":false,"refuseAll":false,"emptyAnswer":false,"quotaExhaustedAfter":null,
//	 "truncateAnswers":false,"oversizedBytes":0,"portalRate":0,"diagnosticRate":0}
type Faults struct {
	// LatencyMS is added to every request before it is answered.
	LatencyMS int `json:"latencyMs,omitempty"`
	// JitterMS adds a further 0..JitterMS milliseconds, chosen per request.
	JitterMS int `json:"jitterMs,omitempty"`
	// ErrorRate is the fraction of requests answered with a 5xx in the provider's own error format.
	ErrorRate float64 `json:"errorRate,omitempty"`
	// RateLimitRate is the fraction of requests answered 429 with a Retry-After header.
	RateLimitRate float64 `json:"rateLimitRate,omitempty"`
	// RetryAfterSeconds is the Retry-After value sent with injected 429s (default 1).
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
	// MalformedRate is the fraction of successful answers whose body is cut off mid-JSON.
	MalformedRate float64 `json:"malformedRate,omitempty"`
	// Outage answers every request 503.
	Outage bool `json:"outage,omitempty"`
	// RefuseAll makes an LLM refuse every month with {"error": "..."} (gemini, xai).
	RefuseAll bool `json:"refuseAll,omitempty"`
	// EmptyAnswer makes an LLM answer with no text at all (gemini, xai).
	EmptyAnswer bool `json:"emptyAnswer,omitempty"`
	// QuotaExhaustedAfter, when set, lets that many requests through (counted from when the
	// faults were set or the server was reset) and then answers every request with the
	// provider's daily-quota error: ISBNdb 403, Google Books and Gemini 429 "per day", others 429.
	// 0 means exhausted immediately.
	QuotaExhaustedAfter *int `json:"quotaExhaustedAfter,omitempty"`
	// TruncateAnswers makes an LLM stop two thirds into its answer as a length limit does:
	// Gemini with finishReason MAX_TOKENS, xAI with finish_reason "length" (gemini, xai).
	TruncateAnswers bool `json:"truncateAnswers,omitempty"`
	// OversizedBytes, when larger than an answer, pads every successful answer with trailing
	// whitespace (still valid JSON) to this many bytes, streamed rather than held in memory: what
	// a runaway model or a bulk export looks like to a client that must bound what it reads.
	OversizedBytes int64 `json:"oversizedBytes,omitempty"`
	// PortalRate is the fraction of requests answered 200 with an HTML page (a captive portal,
	// a proxy's login or a maintenance page) instead of the API's answer.
	PortalRate float64 `json:"portalRate,omitempty"`
	// DiagnosticRate is the fraction of requests answered 200 with a diagnostic instead of
	// results: the Library of Congress' SRU <zs:diagnostics>, elsewhere a JSON status object.
	DiagnosticRate float64 `json:"diagnosticRate,omitempty"`
}

// Validate rejects settings that cannot mean anything.
func (f Faults) Validate() error {
	for name, v := range map[string]float64{"errorRate": f.ErrorRate, "rateLimitRate": f.RateLimitRate, "malformedRate": f.MalformedRate,
		"portalRate": f.PortalRate, "diagnosticRate": f.DiagnosticRate} {
		if v < 0 || v > 1 || math.IsNaN(v) {
			return fmt.Errorf("%s must be within [0,1], got %v", name, v)
		}
	}
	if f.LatencyMS < 0 || f.JitterMS < 0 || f.RetryAfterSeconds < 0 || f.OversizedBytes < 0 {
		return fmt.Errorf("latencyMs, jitterMs, retryAfterSeconds and oversizedBytes must not be negative")
	}
	if f.QuotaExhaustedAfter != nil && *f.QuotaExhaustedAfter < 0 {
		return fmt.Errorf("quotaExhaustedAfter must not be negative")
	}
	return nil
}

func (f Faults) retryAfter() int {
	if f.RetryAfterSeconds == 0 {
		return 1
	}
	return f.RetryAfterSeconds
}

// Ptr returns a pointer to v, for QuotaExhaustedAfter.
func Ptr[T any](v T) *T { return &v }

// chance returns a uniform number in [0,1) for one decision about one request.
func chance(seed uint64, provider string, request int, decision string) float64 {
	h := fnv.New64a()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(request))
	h.Write(b[:])
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write([]byte(decision))
	return float64(mix64(h.Sum64())>>11) / (1 << 53)
}
