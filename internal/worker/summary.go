package worker

import (
	"errors"
	"fmt"
	"os"

	contract "github.com/ooheynerds/backfill-operator/internal/attempt"
)

// The summary, exit codes and reasons are the manager–worker contract, owned by package attempt.
type (
	Summary        = contract.Summary
	ModelNote      = contract.ModelNote
	TruncationNote = contract.TruncationNote
)

const (
	ExitSucceeded = contract.ExitSucceeded
	ExitRetryable = contract.ExitRetryable
	ExitPermanent = contract.ExitPermanent
	ExitOutside   = contract.ExitOutside
)

const (
	ReasonSucceeded           = contract.ReasonSucceeded
	ReasonAllModelsRefused    = contract.ReasonAllModelsRefused
	ReasonGenerationFailed    = contract.ReasonGenerationFailed
	ReasonResolutionFailed    = contract.ReasonResolutionFailed
	ReasonDatabaseUnavailable = contract.ReasonDatabaseUnavailable
	ReasonDatabaseURLInvalid  = contract.ReasonDatabaseURLInvalid
	ReasonWriteFailed         = contract.ReasonWriteFailed
	ReasonInvalidConfig       = contract.ReasonInvalidConfig
	ReasonNoModelConfigured   = contract.ReasonNoModelConfigured
	ReasonModelRejected       = contract.ReasonModelRejected
	ReasonModelQuotaExhausted = contract.ReasonModelQuotaExhausted
)

// terminationPath is where the kubelet reads the termination message.
func terminationPath(flagValue string) string {
	if p := os.Getenv("TERMINATION_MESSAGE_PATH"); p != "" {
		return p
	}
	return flagValue
}

// writeTermination writes the summary for the kubelet. A missing /dev/termination-log (running
// outside a pod) is not an error worth failing the month for.
func writeTermination(path string, summary []byte) error {
	if path == "" {
		return nil
	}
	err := os.WriteFile(path, summary, 0o644)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("writing termination message: %w", err)
	}
	return nil
}
