package devcluster

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestEarlyExitIsClassified(t *testing.T) {
	for _, tc := range []struct {
		name          string
		script        string
		wantPortTaken bool
	}{
		{name: "bind conflict", script: `echo "listen tcp 127.0.0.1:2379: bind: address already in use" >&2; exit 1`, wantPortTaken: true},
		{name: "other failure", script: `echo "open /nonexistent/ca.crt: no such file or directory" >&2; exit 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := startProcess("fake", "/bin/sh", []string{"-c", tc.script}, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			<-p.exited
			err = p.exitError()
			if errors.Is(err, errPortTaken) != tc.wantPortTaken {
				t.Fatalf("errors.Is(%v, errPortTaken) = %v, want %v", err, !tc.wantPortTaken, tc.wantPortTaken)
			}
			if !strings.Contains(err.Error(), "fake exited early") {
				t.Fatalf("error does not say which process exited: %v", err)
			}
		})
	}
}

func TestStopKillsTheWholeProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	// The child ignores SIGTERM, so only the SIGKILL after the grace period
	// (or the final group kill) can end it.
	script := `trap "" TERM; (trap "" TERM; sleep 300) & echo $! > ` + pidFile + `; wait`
	p, err := startProcess("group", "/bin/sh", []string{"-c", script}, dir)
	if err != nil {
		t.Fatal(err)
	}
	var childPID int
	for deadline := time.Now().Add(10 * time.Second); childPID == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		data, _ := os.ReadFile(pidFile)
		childPID, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	if childPID == 0 {
		t.Fatal("child never started")
	}
	p.stop(200 * time.Millisecond)
	if p.running() {
		t.Fatal("leader still running after stop")
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if errors.Is(syscall.Kill(childPID, 0), syscall.ESRCH) {
			return
		}
	}
	t.Fatalf("child %d of the stopped process is still alive", childPID)
}
