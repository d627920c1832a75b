package devcluster

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAuditArgsWritePolicyAndFlags(t *testing.T) {
	dir := t.TempDir()
	args, err := auditArgs(dir, filepath.Join(dir, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	policy, err := os.ReadFile(filepath.Join(dir, "audit-policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(policy), "level: Metadata") || !strings.Contains(string(policy), "kind: Policy") {
		t.Errorf("policy is not a Metadata-level audit policy:\n%s", policy)
	}
	for _, want := range []string{
		"--audit-policy-file=" + filepath.Join(dir, "audit-policy.yaml"),
		"--audit-log-path=" + filepath.Join(dir, "audit.log"),
		"--audit-log-format=json",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("flags %v lack %s", args, want)
		}
	}
}
