package localsystem

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Replica is a manager process of its own next to (or instead of) the one StartManager runs,
// for tests of leader election and failover. Each start writes a log file of its own.
type Replica struct {
	Name string
	// Log is this run's log file.
	Log string
	cmd *exec.Cmd
	end chan error
}

// StartReplica starts another manager with the same flags as StartManager plus args (for
// example "--leader-elect", "--leader-election-namespace=default").
func (s *System) StartReplica(name string, args ...string) (*Replica, error) {
	logPath := filepath.Join(s.Dir, fmt.Sprintf("manager-%s-%d.log", name, time.Now().UnixNano()))
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	s.logf("starting manager replica %s (log %s)", name, logPath)
	cmd, end, err := s.startManagerProcess(logFile, &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}, args)
	if err != nil {
		return nil, fmt.Errorf("starting manager replica %s: %w", name, err)
	}
	return &Replica{Name: name, Log: logPath, cmd: cmd, end: end}, nil
}

// Kill ends the replica with SIGKILL, as a node failure would, and waits until it is gone.
// Killing a replica that already ended does nothing.
func (r *Replica) Kill() {
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	err := <-r.end
	r.end <- err
}

// Exited reports whether the replica has ended, and how.
func (r *Replica) Exited() (bool, error) { return exited(r.end) }

// Leading reports whether this run of the replica has acquired the leader lease (its log says
// so; a replica keeps the lease until it dies or cannot renew it, and then exits).
func (r *Replica) Leading() (bool, error) {
	b, err := os.ReadFile(r.Log)
	if err != nil {
		return false, err
	}
	if exited, _ := r.Exited(); exited {
		return false, errors.New("replica " + r.Name + " has exited")
	}
	// client-go words it "successfully acquired lease", controller-runtime's logger "Successfully acquired lease".
	return bytes.Contains(bytes.ToLower(b), []byte("successfully acquired lease")), nil
}
