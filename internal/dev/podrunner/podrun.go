package podrunner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// containerPlan is everything needed to (re)start one container's process.
type containerPlan struct {
	container      *corev1.Container
	argv           []string
	env            []string
	dir            string
	fallbackToLogs bool
}

// stopRequest asks a running pod to stop its processes.
type stopRequest struct {
	reason string
	grace  time.Duration
	// deleted: the pod is being deleted; finish the deletion afterwards.
	deleted bool
}

// podRun owns the processes of one pod from claim to final status.
type podRun struct {
	namespace, name  string
	uid              types.UID
	restartPolicy    corev1.RestartPolicy
	activeDeadline   *int64
	terminationGrace time.Duration
	plans            []containerPlan
	states           []containerState
	startTime        time.Time
	stop             chan stopRequest
}

type containerExit struct {
	index int
	info  exitInfo
}

func newPodRun(pod *corev1.Pod, plans []containerPlan) *podRun {
	run := &podRun{
		namespace:        pod.Namespace,
		name:             pod.Name,
		uid:              pod.UID,
		restartPolicy:    pod.Spec.RestartPolicy,
		activeDeadline:   pod.Spec.ActiveDeadlineSeconds,
		terminationGrace: terminationGrace(pod),
		plans:            plans,
		stop:             make(chan stopRequest, 1),
	}
	now := time.Now()
	for _, plan := range plans {
		run.states = append(run.states, containerState{name: plan.container.Name, image: plan.container.Image, startedAt: now})
	}
	return run
}

// requestStop asks the run to stop; only the first request counts.
func (p *podRun) requestStop(req stopRequest) {
	select {
	case p.stop <- req:
	default:
	}
}

func (p *podRun) logPath(index int) string {
	return filepath.Join(p.plans[index].dir, p.plans[index].container.Name, strconv.Itoa(int(p.states[index].restartCount))+".log")
}

func (p *podRun) messagePath(index int) string {
	return filepath.Join(p.plans[index].dir, p.plans[index].container.Name, strconv.Itoa(int(p.states[index].restartCount))+".termination-message")
}

// execute runs the pod to completion: it starts the containers, restarts
// them as restartPolicy says, enforces activeDeadlineSeconds, stops them on
// deletion or runner shutdown, and writes the final status.
func (p *podRun) execute(ctx context.Context, r *runner) {
	log := r.log.With("pod", p.namespace+"/"+p.name)
	// Status writes outlive the runner's context: a pod whose process the
	// runner stopped on shutdown must still be recorded as Failed (given up
	// only if the API server stays unreachable well after shutdown).
	writeCtx, cancelWrites := untilAfter(ctx, 30*time.Second)
	defer cancelWrites()
	exits := make(chan containerExit, len(p.plans))
	restarts := make(chan int, len(p.plans))
	cmds := make([]*exec.Cmd, len(p.plans))
	running, pendingRestarts := 0, 0

	startContainer := func(i int) {
		state := &p.states[i]
		state.finished, state.startedAt = false, time.Now()
		logPath, messagePath := p.logPath(i), p.messagePath(i)
		if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
			p.recordExit(i, exitInfo{code: 128}, ReasonStartError, err.Error())
			return
		}
		_ = os.Remove(messagePath)
		env := append(append([]string{}, p.plans[i].env...), "TERMINATION_MESSAGE_PATH="+messagePath)
		cmd, err := startProcess(p.plans[i].argv, env, p.plans[i].dir, logPath)
		if err != nil {
			// The kubelet's StartError: exit code 128 and the runtime's error.
			p.recordExit(i, exitInfo{code: 128}, ReasonStartError, fmt.Sprintf("starting %s: %v", p.plans[i].argv[0], err))
			log.Info("container failed to start", "container", state.name, "err", err)
			return
		}
		cmds[i] = cmd
		state.containerID = fmt.Sprintf("podrunner://%s/%d", r.opts.NodeName, cmd.Process.Pid)
		running++
		go func() { exits <- containerExit{index: i, info: waitProcess(cmd)} }()
		// The pod's own command and args, not the expanded argv: expansion can
		// splice a Secret's value into an argument, and logs never carry one.
		log.Info("container started", "container", state.name, "pid", cmd.Process.Pid,
			"binary", p.plans[i].argv[0], "command", p.plans[i].container.Command, "args", p.plans[i].container.Args)
	}
	for i := range p.plans {
		startContainer(i)
	}
	if running > 0 {
		p.publishRunning(writeCtx, r)
	}

	var (
		deadline   <-chan time.Time
		killTimer  <-chan time.Time
		ctxDone    = ctx.Done()
		stopping   bool
		stopReq    stopRequest
		podReason  string
		podMessage string
	)
	if p.activeDeadline != nil {
		remaining := time.Until(p.startTime.Add(time.Duration(*p.activeDeadline) * time.Second))
		deadline = time.After(max(remaining, 0))
	}
	beginStop := func(req stopRequest) {
		stopping, stopReq = true, req
		for i, cmd := range cmds {
			if cmd != nil && !p.states[i].finished {
				signalGroup(cmd, syscall.SIGTERM)
			}
		}
		killTimer = time.After(req.grace)
		log.Info("stopping pod", "reason", req.reason, "grace", req.grace)
	}

	for running > 0 || (pendingRestarts > 0 && !stopping) {
		select {
		case exit := <-exits:
			running--
			i := exit.index
			p.recordExit(i, exit.info, "", terminationMessage(p.messagePath(i), p.logPath(i), p.plans[i].fallbackToLogs, exit.info.code))
			log.Info("container exited", "container", p.states[i].name, "exitCode", exit.info.code)
			if !stopping && p.shouldRestart(exit.info.code) {
				pendingRestarts++
				backoff := restartBackoff(p.states[i].restartCount)
				time.AfterFunc(backoff, func() { restarts <- i })
				p.states[i].lastTermination = p.states[i].terminated()
				p.publishRunning(writeCtx, r)
			}
		case i := <-restarts:
			pendingRestarts--
			if stopping {
				continue
			}
			p.states[i].restartCount++
			p.states[i].reason, p.states[i].message = "", ""
			startContainer(i)
			p.publishRunning(writeCtx, r)
		case req := <-p.stop:
			if !stopping {
				beginStop(req)
			}
		case <-deadline:
			deadline = nil
			if !stopping {
				podReason, podMessage = ReasonDeadlineExceeded, deadlineMessage
				beginStop(stopRequest{reason: ReasonDeadlineExceeded, grace: p.terminationGrace})
			}
		case <-ctxDone:
			ctxDone = nil
			if !stopping {
				podReason = ReasonRunnerStopped
				podMessage = "podrunner was stopped while this pod's process ran; the process was stopped with it"
				beginStop(stopRequest{reason: ReasonRunnerStopped, grace: min(p.terminationGrace, 5*time.Second)})
			}
		case <-killTimer:
			killTimer = nil
			for i, cmd := range cmds {
				if cmd != nil && !p.states[i].finished {
					signalGroup(cmd, syscall.SIGKILL)
				}
			}
		}
	}
	// Children the containers forked may still hold the group; they go too.
	for _, cmd := range cmds {
		if cmd != nil {
			signalGroup(cmd, syscall.SIGKILL)
		}
	}

	phase := podPhaseFor(p.states)
	if podReason != "" {
		phase = corev1.PodFailed
	}
	now := time.Now()
	err := r.writeStatus(writeCtx, p.namespace, p.name, p.uid, func(status *corev1.PodStatus) {
		terminatedStatus(status, phase, podReason, podMessage, p.states, p.startTime, now)
	})
	if err != nil {
		log.Error("recording final pod status", "err", err)
	} else {
		log.Info("pod finished", "phase", phase, "reason", podReason)
	}
	if stopReq.deleted {
		zero := int64(0)
		_ = r.client.CoreV1().Pods(p.namespace).Delete(writeCtx, p.name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &p.uid},
		})
	}
}

func (p *podRun) recordExit(i int, info exitInfo, reason, message string) {
	state := &p.states[i]
	state.finished, state.finishedAt = true, time.Now()
	state.exitCode, state.signal, state.message = info.code, info.signal, message
	switch {
	case reason != "":
		state.reason = reason
	case info.code == 0:
		state.reason = reasonCompleted
	default:
		state.reason = reasonError
	}
}

func (p *podRun) shouldRestart(exitCode int32) bool {
	switch p.restartPolicy {
	case corev1.RestartPolicyAlways:
		return true
	case corev1.RestartPolicyOnFailure:
		return exitCode != 0
	}
	return false
}

// restartBackoff doubles from one second up to a minute: shorter than the
// kubelet's 10s–5min so local retries stay quick, same shape.
func restartBackoff(restarts int32) time.Duration {
	backoff := time.Second << min(restarts, 6)
	return min(backoff, time.Minute)
}

func (p *podRun) publishRunning(ctx context.Context, r *runner) {
	now := time.Now()
	err := r.writeStatus(ctx, p.namespace, p.name, p.uid, func(status *corev1.PodStatus) {
		runningStatus(status, p.states, p.startTime, now)
	})
	if err != nil {
		r.log.Warn("recording running pod status", "pod", p.namespace+"/"+p.name, "err", err)
	}
}
