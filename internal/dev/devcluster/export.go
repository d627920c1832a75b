package devcluster

import (
	"context"
	"time"
)

// Process is a program run the way the control plane's binaries are: in its own process group
// (stopping it stops anything it forked), killed with the Go process that started it, its
// output in <logDir>/<name>.log. Other development components (Kueue) run through it.
type Process struct{ p *process }

// StartProcess starts binary with args; see Process.
func StartProcess(name, binary string, args []string, logDir string) (*Process, error) {
	p, err := startProcess(name, binary, args, logDir)
	if err != nil {
		return nil, err
	}
	return &Process{p: p}, nil
}

// WaitUntil calls check every 100ms until it succeeds, the process exits (an error with the end
// of its log) or ctx ends.
func (p *Process) WaitUntil(ctx context.Context, check func(context.Context) error) error {
	return pollUntil(ctx, p.p, check)
}

// Running reports whether the process has not exited.
func (p *Process) Running() bool { return p.p.running() }

// ExitError describes how the process ended, with the end of its log.
func (p *Process) ExitError() error { return p.p.exitError() }

// Stop sends SIGTERM to the process group, then SIGKILL after grace, and returns once it is gone.
func (p *Process) Stop(grace time.Duration) { p.p.stop(grace) }

// LogPath is the process's log file.
func (p *Process) LogPath() string { return p.p.logPath }

// FreePorts returns n distinct loopback ports that were free a moment ago.
func FreePorts(n int) ([]int, error) { return freePorts(n) }
