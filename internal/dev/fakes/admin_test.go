package fakes

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFaultsAdjustableThroughAdminEndpoints(t *testing.T) {
	srv := startFake(t, Options{Seed: 3})
	search := func() response {
		return do(t, http.MethodGet, srv.OpenLibraryBaseURL()+"/search.json?title=the+road", "")
	}
	if r := search(); r.status != 200 {
		t.Fatalf("healthy: %d", r.status)
	}
	r := do(t, http.MethodPut, srv.URL()+"/_fake/faults", `{"openlibrary":{"outage":true}}`)
	if r.status != 200 || r.json(t)["openlibrary"].(map[string]any)["outage"] != true {
		t.Fatalf("PUT faults: %d %s", r.status, r.body)
	}
	if r := search(); r.status != http.StatusServiceUnavailable {
		t.Errorf("during outage: %d, want 503", r.status)
	}
	do(t, http.MethodPut, srv.URL()+"/_fake/faults", `{"openlibrary":{"rateLimitRate":1,"retryAfterSeconds":4}}`)
	if r := search(); r.status != 429 || r.header.Get("Retry-After") != "4" || !strings.Contains(string(r.body), "Too Many Requests") {
		t.Errorf("rate limited: %d Retry-After=%q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	do(t, http.MethodPut, srv.URL()+"/_fake/faults", `{"openlibrary":{"malformedRate":1}}`)
	if r := search(); r.status != 200 || json.Valid(r.body) {
		t.Errorf("malformed: %d valid=%v, want 200 with truncated JSON", r.status, json.Valid(r.body))
	}
	for _, bad := range []string{`{"nosuch":{}}`, `{"gemini":{"errorRate":2}}`, `{"gemini":{"typo":1}}`} {
		if r := do(t, http.MethodPut, srv.URL()+"/_fake/faults", bad); r.status != 400 {
			t.Errorf("PUT %s: %d, want 400", bad, r.status)
		}
	}
	r = do(t, http.MethodGet, srv.URL()+"/_fake/calls", "")
	var calls map[string]int
	if err := json.Unmarshal(r.body, &calls); err != nil || calls[SourceOpenLibrary] != 4 || calls[ProviderGemini] != 0 || len(calls) != len(Providers()) {
		t.Errorf("calls %s, want openlibrary 4 and every provider listed", r.body)
	}
	do(t, http.MethodPost, srv.URL()+"/_fake/reset", "")
	if r := search(); r.status != 200 || srv.Calls()[SourceOpenLibrary] != 1 {
		t.Errorf("after reset: %d with %d calls, want 200 and a fresh count", r.status, srv.Calls()[SourceOpenLibrary])
	}
	r = do(t, http.MethodPut, srv.URL()+"/_fake/limits", `{"isbndbRatePerSecond":10,"isbndbDailyQuota":50}`)
	if r.status != 200 || srv.Limits().ISBNdbDailyQuota != 50 {
		t.Errorf("PUT limits: %d %s", r.status, r.body)
	}
}

func TestFaultInjectionIsReproducible(t *testing.T) {
	run := func(seed uint64) string {
		srv := startFake(t, Options{Seed: seed, Faults: map[string]Faults{SourceArchive: {ErrorRate: 0.3, RateLimitRate: 0.2}}})
		var sb strings.Builder
		for range 40 {
			r := do(t, http.MethodGet, srv.ArchiveBaseURL()+"/advancedsearch.php?q=title:(road)&output=json", "")
			sb.WriteString(http.StatusText(r.status)[:1])
		}
		return sb.String()
	}
	a, b, c := run(11), run(11), run(12)
	if a != b {
		t.Errorf("same seed, different outcomes:\n%s\n%s", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same outcomes: %s", a)
	}
	if !strings.Contains(a, "O") || !strings.Contains(a, "B") || !strings.Contains(a, "T") {
		t.Errorf("outcomes %s, want a mix of OK, Bad Gateway and Too Many Requests", a)
	}
}

func TestCommandPrintsBaseURLsAndServes(t *testing.T) {
	faults := filepath.Join(t.TempDir(), "faults.json")
	if err := os.WriteFile(faults, []byte(`{"xai":{"refuseAll":true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := NewCommand()
	pr, pw := io.Pipe()
	cmd.SetOut(pw)
	cmd.SetArgs([]string{"--addr", "127.0.0.1:0", "--seed", "5", "--isbndb-daily-quota", "1", "--faults", faults})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx); pw.Close() }()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("read start-up line: %v", err)
	}
	var urls map[string]string
	if err := json.Unmarshal([]byte(line), &urls); err != nil {
		t.Fatalf("start-up line %q is not JSON: %v", line, err)
	}
	for _, p := range Providers() {
		if !strings.HasPrefix(urls[p], urls["url"]+"/") {
			t.Errorf("base URL for %s = %q, want under %q", p, urls[p], urls["url"])
		}
	}
	r := do(t, http.MethodGet, urls["url"]+"/_fake/faults", "")
	if !strings.Contains(string(r.body), `"refuseAll":true`) {
		t.Errorf("faults from the file not applied: %s", r.body)
	}
	for i, want := range []int{200, 403} {
		if r := do(t, http.MethodGet, urls[SourceISBNdb]+"/book/9780307265432", "", "Authorization: k"); r.status != want {
			t.Errorf("ISBNdb call %d with a daily quota of 1: %d, want %d", i+1, r.status, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("command returned %v after cancel", err)
	}
}
