package worker

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// ExitError carries the worker's exit code out of the cobra command; the root command's caller
// passes it to os.Exit (see ExitCode).
type ExitError struct {
	Code    int
	Summary Summary
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("worker attempt %s (%s), exit code %d", e.Summary.Outcome, e.Summary.Reason, e.Code)
}

// ExitCode is the process exit code for an error returned by the command: the worker's own code,
// or ExitPermanent for anything else (invalid flags, unknown arguments).
func ExitCode(err error) int {
	if err == nil {
		return ExitSucceeded
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitPermanent
}

// NewCommand returns the "worker" command: it parses the flags of Config, reads secrets from the
// environment, runs one attempt, writes the JSON summary to the termination-message path and to
// stdout, and returns an *ExitError unless the attempt succeeded.
func NewCommand() *cobra.Command {
	cfg := DefaultConfig()
	cmd := &cobra.Command{
		Use:           "worker",
		Short:         "Run one attempt of one month: generate, merge, resolve, write",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := &Runner{Config: cfg, Secrets: SecretsFromEnv()}
			return report(cmd, cfg.TerminationLog, r.Secrets, r.Run(cmd.Context()))
		},
	}
	cfg.bindFlags(cmd.Flags())
	// Invalid flags are a permanent failure that still leaves a summary for the controller.
	cmd.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		s := Summary{Outcome: "failed", Reason: ReasonInvalidConfig, Error: err.Error()}
		return report(cmd, flagOr(cmd.Flags(), "termination-log", cfg.TerminationLog), SecretsFromEnv(), s)
	})
	return cmd
}

func flagOr(fs *pflag.FlagSet, name, def string) string {
	if f := fs.Lookup(name); f != nil && f.Changed {
		return f.Value.String()
	}
	return def
}

// report writes the summary and turns it into the command's result.
func report(cmd *cobra.Command, terminationLog string, secrets Secrets, s Summary) error {
	out := s.Encode(secrets.values())
	werr := writeTermination(terminationPath(terminationLog), out)
	fmt.Fprintln(cmd.OutOrStdout(), string(out))
	if werr != nil {
		fmt.Fprintln(os.Stderr, werr)
	}
	if code := s.ExitCode(); code != ExitSucceeded {
		return &ExitError{Code: code, Summary: s}
	}
	return nil
}
