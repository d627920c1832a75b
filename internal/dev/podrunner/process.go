package podrunner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// Limits the kubelet applies to termination messages, kept so a message that
// fits here also fits in a real cluster.
const (
	maxTerminationMessageBytes = 4096
	fallbackLogLines           = 80
	fallbackLogBytes           = 2048
)

// exitInfo is how a container process ended.
type exitInfo struct {
	code   int32
	signal int32
}

// startProcess runs argv in its own process group (so a kill reaches anything
// it forked) with output appended to logPath. Pdeathsig ties the process to the
// runner: if the runner dies, so does the process, which is why a restarted
// runner may mark a previously running pod Failed without checking for it.
func startProcess(argv, env []string, dir, logPath string) (*exec.Cmd, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening container log: %w", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	// The child holds its own copy of the descriptor.
	logFile.Close()
	return cmd, nil
}

// waitProcess reaps cmd and translates its end into an exit code the way a
// container runtime reports it: 128+N when killed by signal N.
func waitProcess(cmd *exec.Cmd) exitInfo {
	err := cmd.Wait()
	if err == nil {
		return exitInfo{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			return exitInfo{code: 128 + int32(status.Signal()), signal: int32(status.Signal())}
		}
		return exitInfo{code: int32(exitErr.ExitCode())}
	}
	return exitInfo{code: 128}
}

func signalGroup(cmd *exec.Cmd, signal syscall.Signal) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, signal)
	}
}

// terminationMessage reads what the container wrote to its termination
// message file, or, with FallbackToLogsOnError, the tail of its log when the
// file is empty and the container failed.
func terminationMessage(messagePath, logPath string, fallbackToLogs bool, exitCode int32) string {
	message := readPrefix(messagePath, maxTerminationMessageBytes)
	if message != "" || !fallbackToLogs || exitCode == 0 {
		return message
	}
	return logTail(logPath, fallbackLogLines, fallbackLogBytes)
}

func readPrefix(path string, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	data, _ := io.ReadAll(io.LimitReader(f, limit))
	return string(data)
}

func logTail(path string, lines int, limit int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	data = bytes.TrimRight(data, "\n")
	all := strings.Split(string(data), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	tail := strings.Join(all, "\n")
	if len(tail) > limit {
		tail = tail[len(tail)-limit:]
	}
	return tail
}
