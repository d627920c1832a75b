package attempt

import (
	"os/exec"
	"strings"
	"testing"
)

// The operator side never links the worker or an LLM SDK: the contract lives here, and the
// manager reads it without the code that fulfils it.
func TestOperatorDoesNotImportTheWorker(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps",
		"github.com/ooheynerds/backfill-operator/controllers",
		"github.com/ooheynerds/backfill-operator/internal/attempt",
		"github.com/ooheynerds/backfill-operator/internal/attemptjob",
		"github.com/ooheynerds/backfill-operator/internal/manager",
	).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/ooheynerds/backfill-operator/internal/worker", "google.golang.org/genai", "github.com/openai/openai-go"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("the operator side depends on %s", dep)
			}
		}
	}
}
