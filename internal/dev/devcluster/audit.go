package devcluster

import (
	"fmt"
	"os"
	"path/filepath"
)

// auditPolicy records every request at Metadata level: user, user agent, verb, object,
// response code and the request's received and completed times, without bodies.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
`

// auditArgs writes the policy into dir and returns kube-apiserver's flags for a JSON audit
// log at logPath, written synchronously so that a request is logged once it has completed.
func auditArgs(dir, logPath string) ([]string, error) {
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return nil, fmt.Errorf("writing the audit policy: %w", err)
	}
	logPath, err := filepath.Abs(logPath)
	if err != nil {
		return nil, err
	}
	return []string{
		"--audit-policy-file=" + policy,
		"--audit-log-path=" + logPath,
		"--audit-log-format=json",
		"--audit-log-mode=blocking",
		"--audit-log-maxsize=0", // no rotation: one file per run
	}, nil
}
