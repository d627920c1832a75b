package localpg

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
)

var (
	shared     *Server
	sharedURL  string
	sharedErr  error
	sharedOnce sync.Once
)

// ServerURL returns DATABASE_URL when set; otherwise it starts (once per test binary) a
// throwaway server and returns its URL. Call Cleanup from TestMain to stop it.
func ServerURL() (string, error) {
	if url := os.Getenv("DATABASE_URL"); url != "" {
		return url, nil
	}
	sharedOnce.Do(func() {
		shared, sharedErr = Start(context.Background(), "")
		if sharedErr == nil {
			sharedURL = shared.URL("postgres")
		}
	})
	return sharedURL, sharedErr
}

// SharedServer is the throwaway server ServerURL started, or nil when DATABASE_URL is used.
func SharedServer() *Server { return shared }

// RunTests is a test package's whole TestMain when its tests use NewDatabase: it runs them,
// stops the throwaway server and exits with their result.
func RunTests(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}

// Cleanup stops the throwaway server, if one was started.
func Cleanup() {
	if shared != nil {
		_ = shared.Stop()
		_ = os.RemoveAll(shared.Dir())
	}
}

// NewDatabase gives a test its own empty database and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	url, err := ServerURL()
	if err != nil {
		t.Fatalf("PostgreSQL for tests: %v", err)
	}
	dbURL, err := CreateDatabase(context.Background(), url, fmt.Sprintf("t%d", os.Getpid()))
	if err != nil {
		t.Fatalf("PostgreSQL for tests: %v", err)
	}
	return dbURL
}
