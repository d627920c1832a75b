// Package podrunner stands in for a kubelet and a container runtime on a
// machine that has neither: it registers a Node, binds the pods it is asked to
// run (by label selector) to that Node, runs each container's command as a
// local process of a binary chosen by --map rules, and reports the outcome in
// pod status the way a kubelet does, so Kubernetes' own Job controller sees
// real pod lifecycles: unknown images and missing Secrets wait with the
// kubelet's reasons, status writes survive API-server outages, and container
// logs are served for kubectl logs. It is not isolation: no images, namespaces,
// cgroups, volumes, probes, networking or securityContext enforcement.
package podrunner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
)

// DefaultSelector selects the pods of the operator's month Jobs.
const DefaultSelector = "app.kubernetes.io/managed-by=backfill-operator"

// DefaultNodeName is the Node the runner registers when none is given.
const DefaultNodeName = "podrunner"

// configErrorRetry is how soon a pod waiting on a missing Secret or ConfigMap
// is tried again (the kubelet retries on its sync loop the same way).
const configErrorRetry = 2 * time.Second

// Options configures Run.
type Options struct {
	// NodeName is the Node registered and bound to (default DefaultNodeName).
	// Two runners must not share one.
	NodeName string
	// Selector picks the pods to run (default DefaultSelector); pods it does
	// not match are never touched.
	Selector string
	// Namespace limits the runner to one namespace; empty means all.
	Namespace string
	// Mappings choose the local binary for each container (see Mapping).
	Mappings []Mapping
	// LogDir receives <namespace>_<pod>_<uid>/<container>/<restart>.log and
	// the termination message files; the pod's directory is also the
	// process's working directory. Empty means a directory under os.TempDir.
	LogDir string
	// PassEnv names variables of the runner's own environment given to every
	// container before the pod's env (default PATH), since a local binary
	// may need them where a container image would have its own.
	PassEnv []string
	// Logger receives what the runner does (default slog.Default()).
	Logger *slog.Logger
}

// Run registers the Node and runs matching pods until ctx ends. On return
// every process it started has been stopped and its pod marked Failed with
// reason PodRunnerStopped.
func Run(ctx context.Context, cfg *rest.Config, opts Options) error {
	r, err := newRunner(cfg, opts)
	if err != nil {
		return err
	}
	return r.run(ctx, cfg)
}

type runner struct {
	client   kubernetes.Interface
	opts     Options
	selector labels.Selector
	log      *slog.Logger
	capacity corev1.ResourceList

	queue   workqueue.TypedRateLimitingInterface[string]
	indexer cache.Indexer

	mu sync.Mutex
	// runs holds the pods whose processes this runner owns, by namespace/name.
	runs map[string]*podRun
	// finished remembers pods this runner completed, so a stale cache entry
	// still showing them Running is not mistaken for a pod orphaned by a
	// previous runner.
	finished map[types.UID]bool
	// logPort is the loopback port serving container logs (0: not served).
	logPort int
	// pulls is the image back-off of pods waiting for an image.
	pulls pullBackoff
	wg    sync.WaitGroup
}

func newRunner(cfg *rest.Config, opts Options) (*runner, error) {
	if opts.NodeName == "" {
		opts.NodeName = DefaultNodeName
	}
	if opts.Selector == "" {
		opts.Selector = DefaultSelector
	}
	if opts.PassEnv == nil {
		opts.PassEnv = []string{"PATH"}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.LogDir == "" {
		opts.LogDir = filepath.Join(os.TempDir(), "podrunner-"+opts.NodeName)
	}
	for _, m := range opts.Mappings {
		info, err := os.Stat(m.Binary)
		if err != nil {
			return nil, fmt.Errorf("mapping %s: %w", m, err)
		}
		if info.IsDir() || info.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("mapping %s: %s is not an executable file", m, m.Binary)
		}
	}
	selector, err := labels.Parse(opts.Selector)
	if err != nil {
		return nil, fmt.Errorf("parsing selector %q: %w", opts.Selector, err)
	}
	if err := os.MkdirAll(opts.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating log directory: %w", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building Kubernetes client: %w", err)
	}
	return &runner{
		client:   client,
		opts:     opts,
		selector: selector,
		log:      opts.Logger.With("node", opts.NodeName),
		capacity: nodeCapacity(),
		runs:     map[string]*podRun{},
		finished: map[types.UID]bool{},
	}, nil
}

func (r *runner) run(ctx context.Context, cfg *rest.Config) error {
	factory := informers.NewSharedInformerFactoryWithOptions(r.client, 0,
		informers.WithNamespace(r.opts.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = r.opts.Selector }))
	podInformer := factory.Core().V1().Pods().Informer()
	r.indexer = podInformer.GetIndexer()
	// The log endpoint reads the indexer, so it starts after it exists and before the Node
	// that advertises its port is registered.
	var err error
	if r.logPort, err = r.startLogServer(ctx, rest.CopyConfig(cfg)); err != nil {
		return err
	}
	if err := r.registerNode(ctx); err != nil {
		return err
	}
	r.wg.Go(func() { r.heartbeat(ctx) })
	r.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](100*time.Millisecond, 10*time.Second),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "podrunner"})
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			r.queue.Add(key)
		}
	}
	if _, err := podInformer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
		DeleteFunc: enqueue,
	}); err != nil {
		return fmt.Errorf("watching pods: %w", err)
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), podInformer.HasSynced) {
		factory.Shutdown()
		r.wg.Wait()
		return fmt.Errorf("pod cache did not sync: %w", ctx.Err())
	}
	r.log.Info("podrunner ready", "selector", r.opts.Selector, "logDir", r.opts.LogDir)

	const workers = 4
	for range workers {
		r.wg.Go(func() {
			for r.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
	r.queue.ShutDown()
	factory.Shutdown()
	// Pod goroutines see ctx end too: they stop their processes and record
	// the pods as Failed before returning.
	r.wg.Wait()
	return nil
}

func (r *runner) processNext(ctx context.Context) bool {
	key, shutdown := r.queue.Get()
	if shutdown {
		return false
	}
	defer r.queue.Done(key)
	requeueAfter, err := r.sync(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		r.log.Warn("syncing pod", "pod", key, "err", err)
		r.queue.AddRateLimited(key)
	case requeueAfter > 0:
		r.queue.Forget(key)
		r.queue.AddAfter(key, requeueAfter)
	default:
		r.queue.Forget(key)
	}
	return true
}

// sync decides what one pod needs from this runner. Decisions come from the
// informer cache, so every write they lead to is conditional on the cached
// resourceVersion (or UID): a decision taken on stale data fails with a
// conflict and is retried on fresh data instead of acting twice.
func (r *runner) sync(ctx context.Context, key string) (time.Duration, error) {
	obj, exists, err := r.indexer.GetByKey(key)
	if err != nil {
		return 0, err
	}
	if !exists {
		// Gone without our final delete (a force delete by someone else):
		// nothing can be reported any more, but the process must not linger.
		r.stopRun(key, "", stopRequest{reason: "PodDeleted", grace: 0, deleted: true})
		return 0, nil
	}
	pod := obj.(*corev1.Pod)
	r.stopRun(key, pod.UID, stopRequest{reason: "PodReplaced", grace: 0, deleted: true})

	if pod.Spec.NodeName == "" {
		// A scheduler leaves gated pods alone until every gate is removed.
		if pod.DeletionTimestamp != nil || isTerminal(pod) || len(pod.Spec.SchedulingGates) > 0 {
			return 0, nil
		}
		return 0, r.bind(ctx, pod)
	}
	if pod.Spec.NodeName != r.opts.NodeName {
		return 0, nil
	}

	r.mu.Lock()
	run := r.runs[key]
	finished := r.finished[pod.UID]
	r.mu.Unlock()

	if pod.DeletionTimestamp != nil {
		r.pulls.forget(pod.UID)
		if run != nil {
			run.requestStop(stopRequest{reason: "PodDeleted", grace: deletionGrace(pod), deleted: true})
			return 0, nil
		}
		return 0, r.forceDelete(ctx, pod)
	}
	if run != nil || finished || isTerminal(pod) {
		return 0, nil
	}
	if claimedBefore(pod) {
		return 0, r.failOrphan(ctx, pod)
	}
	return r.start(ctx, pod)
}

func (r *runner) bind(ctx context.Context, pod *corev1.Pod) error {
	err := r.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: r.opts.NodeName},
	}, metav1.CreateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		// Already bound (the cache is behind) or already gone.
		return nil
	}
	if err != nil {
		return fmt.Errorf("binding pod to node %s: %w", r.opts.NodeName, err)
	}
	r.log.Info("bound pod", "pod", podKey(pod))
	return nil
}

// start prepares every container, claims the pod by recording it Running
// (conditional on the cached resourceVersion, so two runners or a stale
// cache cannot both claim it), and only then starts the processes.
func (r *runner) start(ctx context.Context, pod *corev1.Pod) (time.Duration, error) {
	if len(pod.Spec.InitContainers) > 0 {
		return 0, r.failUnstarted(ctx, pod, ReasonUnsupported,
			"podrunner does not run init containers; this pod has "+fmt.Sprint(len(pod.Spec.InitContainers)))
	}
	// Images first, as a kubelet pulls before it builds a container's config.
	for i := range pod.Spec.Containers {
		container := &pod.Spec.Containers[i]
		if problem := r.pulls.check(r.opts.Mappings, pod.UID, container, time.Now()); problem != nil {
			return problem.retryAfter, r.reportWaiting(ctx, pod, container.Name, problem.reason, problem.message)
		}
	}
	plans := make([]containerPlan, 0, len(pod.Spec.Containers))
	resolver := newEnvResolver(r.client, pod, r.capacity)
	dir := filepath.Join(r.opts.LogDir, fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID))
	for i := range pod.Spec.Containers {
		container := &pod.Spec.Containers[i]
		argv, err := resolveArgv(r.opts.Mappings, container)
		if err != nil {
			return 0, err // unreachable: every image was checked above
		}
		env, err := resolver.resolve(ctx, container)
		var cfgErr *configError
		if errors.As(err, &cfgErr) {
			return configErrorRetry, r.reportWaiting(ctx, pod, container.Name, ReasonCreateContainerConfigError, err.Error())
		}
		if err != nil {
			return 0, err
		}
		plans = append(plans, r.plan(pod, container, argv, env, dir))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("creating pod log directory: %w", err)
	}

	key := podKey(pod)
	run := newPodRun(pod, plans)
	r.mu.Lock()
	if r.runs[key] != nil {
		r.mu.Unlock()
		return 0, nil
	}
	r.runs[key] = run
	r.mu.Unlock()

	now := time.Now()
	claimed := pod.DeepCopy()
	runningStatus(&claimed.Status, run.states, now, now)
	if _, err := r.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, claimed, metav1.UpdateOptions{}); err != nil {
		r.mu.Lock()
		delete(r.runs, key)
		r.mu.Unlock()
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return time.Second, nil
		}
		return 0, fmt.Errorf("claiming pod: %w", err)
	}
	run.startTime = now
	r.pulls.forget(pod.UID)
	r.log.Info("starting pod", "pod", key, "containers", len(plans))
	r.wg.Go(func() {
		run.execute(ctx, r)
		r.mu.Lock()
		delete(r.runs, key)
		r.finished[pod.UID] = true
		r.mu.Unlock()
		r.queue.Add(key)
	})
	return 0, nil
}

func (r *runner) plan(pod *corev1.Pod, container *corev1.Container, argv []string, podEnv []corev1.EnvVar, dir string) containerPlan {
	env := make([]string, 0, len(r.opts.PassEnv)+len(podEnv)+2)
	defined := map[string]string{}
	for _, name := range r.opts.PassEnv {
		if value, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+value)
		}
	}
	env = append(env, "HOSTNAME="+pod.Name)
	for _, v := range podEnv {
		env = append(env, v.Name+"="+v.Value)
		defined[v.Name] = v.Value
	}
	for i := range argv {
		argv[i] = expand(argv[i], defined)
	}
	return containerPlan{
		container:      container,
		argv:           argv,
		env:            env,
		dir:            dir,
		fallbackToLogs: container.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError,
	}
}

// failUnstarted records a pod that cannot run at all as Failed, with the
// reason on the pod and on each container, instead of leaving it Pending
// forever the way a kubelet would wait for an image.
func (r *runner) failUnstarted(ctx context.Context, pod *corev1.Pod, reason, message string) error {
	now := time.Now()
	failed := pod.DeepCopy()
	states := make([]containerState, len(pod.Spec.Containers))
	for i, c := range pod.Spec.Containers {
		states[i] = containerState{name: c.Name, image: c.Image, finished: true, finishedAt: now,
			exitCode: 128, reason: reason, message: message}
	}
	terminatedStatus(&failed.Status, corev1.PodFailed, reason, message, states, now, now)
	_, err := r.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, failed, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // the update event that made the cache stale requeues the pod
	}
	if err != nil {
		return fmt.Errorf("recording pod as failed (%s): %w", reason, err)
	}
	r.log.Info("pod cannot run", "pod", podKey(pod), "reason", reason, "message", message)
	return nil
}

// reportWaiting records why a container cannot start yet (a missing Secret,
// an image it cannot pull). The pod stays Pending and is looked at again, as
// a kubelet retries; an unchanged reason is not written again.
func (r *runner) reportWaiting(ctx context.Context, pod *corev1.Pod, container, reason, message string) error {
	if isWaiting(pod, container, reason, message) {
		return nil
	}
	waiting := pod.DeepCopy()
	waitingStatus(&waiting.Status, pod, container, reason, message, time.Now())
	_, err := r.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, waiting, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reporting container waiting (%s): %w", reason, err)
	}
	r.log.Info("container cannot start yet, will retry", "pod", podKey(pod), "container", container, "reason", reason, "message", message)
	return nil
}

// failOrphan marks Failed a pod that an earlier runner started and this one
// never did: its process died with that runner, and running it again could
// repeat work that was not meant to run twice.
func (r *runner) failOrphan(ctx context.Context, pod *corev1.Pod) error {
	now := time.Now()
	orphan := pod.DeepCopy()
	states := make([]containerState, 0, len(pod.Spec.Containers))
	for _, s := range pod.Status.ContainerStatuses {
		state := containerState{name: s.Name, image: s.Image, containerID: s.ContainerID,
			restartCount: s.RestartCount, finished: true, finishedAt: now}
		switch {
		case s.State.Terminated != nil:
			t := s.State.Terminated
			state.startedAt, state.finishedAt = t.StartedAt.Time, t.FinishedAt.Time
			state.exitCode, state.signal, state.reason, state.message = t.ExitCode, t.Signal, t.Reason, t.Message
		default:
			if s.State.Running != nil {
				state.startedAt = s.State.Running.StartedAt.Time
			}
			// The kubelet's words for a container whose end it did not see.
			state.exitCode, state.reason = 137, "ContainerStatusUnknown"
			state.message = "The container could not be located when the pod was terminated"
		}
		states = append(states, state)
	}
	var startTime time.Time
	if pod.Status.StartTime != nil {
		startTime = pod.Status.StartTime.Time
	}
	terminatedStatus(&orphan.Status, corev1.PodFailed, ReasonRunnerRestarted,
		"podrunner restarted while this pod's process ran; the process died with it and is not run again", states, startTime, now)
	_, err := r.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, orphan, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("marking orphaned pod failed: %w", err)
	}
	r.log.Info("marked pod failed: it was running when an earlier podrunner stopped", "pod", podKey(pod))
	return nil
}

// forceDelete finishes a graceful deletion once no process is left, as a
// kubelet does: the API server keeps a bound pod until its node confirms.
func (r *runner) forceDelete(ctx context.Context, pod *corev1.Pod) error {
	zero := int64(0)
	err := r.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero,
		Preconditions:      &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return fmt.Errorf("completing pod deletion: %w", err)
	}
	return nil
}

// stopRun stops the run registered under key unless it belongs to keepUID.
func (r *runner) stopRun(key string, keepUID types.UID, req stopRequest) {
	r.mu.Lock()
	run := r.runs[key]
	r.mu.Unlock()
	if run != nil && run.uid != keepUID {
		run.requestStop(req)
	}
}

// writeStatus applies mutate to the latest pod and saves it. A conflict is
// retried at once on fresh data (the runner owns its containers' status, so
// it always wins). Any other failure except the pod being gone or the write
// being refused is retried with back-off until ctx ends: a kubelet never drops
// a status it owes, so an API server that is briefly down when a process ends
// must not leave the pod Running.
func (r *runner) writeStatus(ctx context.Context, namespace, name string, uid types.UID, mutate func(*corev1.PodStatus)) error {
	backoff := wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.2, Cap: 5 * time.Second, Steps: math.MaxInt32}
	for {
		err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
			pod, err := r.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if pod.UID != uid {
				return apierrors.NewNotFound(corev1.Resource("pods"), name)
			}
			mutate(&pod.Status)
			_, err = r.client.CoreV1().Pods(namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
			return err
		})
		if err == nil || !retriable(err) {
			return err
		}
		r.log.Warn("writing pod status failed, retrying", "pod", namespace+"/"+name, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff.Step()):
		}
	}
}

// retriable: everything but a final answer about the pod or the request
// (gone, invalid, forbidden) may succeed later — connection refused, timeouts,
// 5xx, throttling, a conflict that outlasted its retries.
func retriable(err error) bool {
	return !apierrors.IsNotFound(err) && !apierrors.IsGone(err) && !apierrors.IsInvalid(err) &&
		!apierrors.IsBadRequest(err) && !apierrors.IsForbidden(err) && !apierrors.IsMethodNotSupported(err)
}

// untilAfter is a context that ends grace after parent does: status writes
// keep trying while the runner shuts down, but not forever.
func untilAfter(parent context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() {
		timer := time.AfterFunc(grace, cancel)
		context.AfterFunc(ctx, func() { timer.Stop() })
	})
	return ctx, func() { stop(); cancel() }
}

func deletionGrace(pod *corev1.Pod) time.Duration {
	if pod.DeletionGracePeriodSeconds != nil {
		return time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	return terminationGrace(pod)
}

func terminationGrace(pod *corev1.Pod) time.Duration {
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	return 30 * time.Second
}

func podKey(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }
