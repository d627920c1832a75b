package devcluster

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// process is one control-plane binary running in its own process group, so
// stopping it also stops anything it forked, and with its output in a log file
// so a failed start can be explained.
type process struct {
	name    string
	binary  string
	args    []string
	logDir  string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

func startProcess(name, binary string, args []string, logDir string) (*process, error) {
	return launch(name, binary, args, logDir, os.O_TRUNC)
}

// restarted starts the same binary with the same arguments again, appending
// to its log.
func (p *process) restarted() (*process, error) {
	return launch(p.name, p.binary, p.args, p.logDir, os.O_APPEND)
}

func launch(name, binary string, args []string, logDir string, logMode int) (*process, error) {
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|logMode, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening log for %s: %w", name, err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// If the Go process that started the cluster dies without calling Stop
		// (a test binary killed by its timeout), the kernel still takes the
		// control plane down with it.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", name, binary, err)
	}
	p := &process{name: name, binary: binary, args: args, logDir: logDir, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// running reports whether the process has not exited yet.
func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// exitError describes an unexpected exit with the end of the process's log,
// which is where etcd and kube-apiserver say why they gave up.
func (p *process) exitError() error {
	tail := tailFile(p.logPath, 20)
	err := fmt.Errorf("%s exited early (%v); last log lines from %s:\n%s", p.name, p.waitErr, p.logPath, tail)
	if strings.Contains(tail, "address already in use") {
		return errors.Join(errPortTaken, err)
	}
	return err
}

// errPortTaken marks an early exit caused by a port another program bound
// first; Start retries with new ports.
var errPortTaken = errors.New("port already in use")

// stop sends SIGTERM to the whole process group, waits up to grace, then
// SIGKILLs the group. It returns once the process has been reaped.
func (p *process) stop(grace time.Duration) {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	}
	// The leader is gone; make sure no child it forked outlives it. ESRCH just
	// means the group is already empty.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

func tailFile(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// freePorts asks the kernel for n distinct unused loopback ports. The
// listeners are held until all ports are chosen so the same port is not
// returned twice; another program could still take one before the control
// plane binds it, which Start reports as an early exit.
func freePorts(n int) ([]int, error) {
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free loopback port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
