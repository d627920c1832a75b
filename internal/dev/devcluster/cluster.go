// Package devcluster runs a local Kubernetes control plane (etcd,
// kube-apiserver and kube-controller-manager, built from Go modules into
// bin/k8s by hack/build-control-plane.sh) on loopback ports, for tests and the
// demo. It has no kubelet, scheduler or container runtime: pods are run by
// internal/podrunner. Jobs, garbage collection, namespace deletion and service
// accounts are Kubernetes' own controllers, so behaviour built on them is the
// real behaviour.
package devcluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// DefaultControllers are the kube-controller-manager controllers a Job-based
// operator depends on: Jobs (and CronJobs) themselves, the garbage collector
// that removes owned objects, namespace deletion, TTL-after-finished cleanup,
// the service account (and token) controllers that pod admission needs, the
// kube-root-ca.crt publisher that projected service-account volumes reference,
// and ClusterRole aggregation so the built-in admin/edit/view roles pick up
// aggregated rules.
var DefaultControllers = []string{
	"job-controller",
	"cronjob-controller",
	"garbage-collector-controller",
	"namespace-controller",
	"ttl-after-finished-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"root-ca-certificate-publisher-controller",
	"clusterrole-aggregation-controller",
}

// Binary names expected in Options.BinDir.
const (
	EtcdBinary              = "etcd"
	APIServerBinary         = "kube-apiserver"
	ControllerManagerBinary = "kube-controller-manager"
)

// Options configures Start.
type Options struct {
	// BinDir holds etcd, kube-apiserver and kube-controller-manager. Empty means
	// $KUBEBUILDER_ASSETS, then "bin/k8s" relative to the working directory.
	BinDir string
	// Dir receives certificates, etcd data, logs and the kubeconfig. Empty means
	// a fresh temporary directory that Stop removes; a given Dir is kept (its
	// previous etcd data is wiped at start so every cluster begins empty).
	Dir string
	// Controllers replaces DefaultControllers (kube-controller-manager names,
	// e.g. "job-controller"). Use []string{} for no controller-manager at all.
	Controllers []string
	// StartTimeout bounds the wait for every component to become ready
	// (default 90s; the first start on a cold disk is the slow one).
	StartTimeout time.Duration
	// Logf, when set, receives one line per start-up step.
	Logf func(format string, args ...any)
	// AuditLog, when set, is where kube-apiserver writes its audit log: one JSON line per
	// request at Metadata level (who, verb, resource, response code, timestamps), which
	// benchmarks read to count a client's requests from outside it.
	AuditLog string
}

// Cluster is a running control plane. Stop it when done.
type Cluster struct {
	// Dir is the cluster's working directory (see Options.Dir).
	Dir string
	// Kubeconfig is the path of an admin kubeconfig for kubectl and client-go.
	Kubeconfig string
	// Host is the apiserver URL (https://127.0.0.1:<port>).
	Host string
	// LogDir holds etcd.log, kube-apiserver.log and kube-controller-manager.log.
	LogDir string

	controllers     []string
	auditArgs       []string
	restConfig      *rest.Config
	kcmHealthURL    string
	processes       []*process
	lock            *os.File
	removeDirOnStop bool
	stopOnce        sync.Once
	// mu serialises StopAPIServer and StartAPIServer.
	mu sync.Mutex
}

// Start launches etcd, kube-apiserver and (unless Options.Controllers is an
// empty non-nil slice) kube-controller-manager, and returns once all of them
// are ready. ctx bounds start-up only; the processes run until Stop. On error
// everything already started is stopped.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	binDir, err := resolveBinDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	controllers := opts.Controllers
	if controllers == nil {
		controllers = DefaultControllers
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 90 * time.Second
	}

	c := &Cluster{Dir: opts.Dir, controllers: controllers}
	if c.Dir == "" {
		c.Dir, err = os.MkdirTemp("", "devcluster-")
		if err != nil {
			return nil, fmt.Errorf("creating cluster directory: %w", err)
		}
		c.removeDirOnStop = true
	}
	c.Dir, err = filepath.Abs(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("resolving cluster directory: %w", err)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating cluster directory: %w", err)
	}
	// Two clusters in one directory would wipe each other's etcd data.
	if c.lock, err = lockDir(c.Dir); err != nil {
		return nil, err
	}
	c.LogDir = filepath.Join(c.Dir, "logs")
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	pkiDir := filepath.Join(c.Dir, "pki")
	etcdDir := filepath.Join(c.Dir, "etcd")
	if err := os.RemoveAll(etcdDir); err != nil {
		c.Stop()
		return nil, fmt.Errorf("wiping previous etcd data: %w", err)
	}
	for _, dir := range []string{c.LogDir, pkiDir, etcdDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			c.Stop()
			return nil, fmt.Errorf("creating %s: %w", dir, err)
		}
	}

	if opts.AuditLog != "" {
		if c.auditArgs, err = auditArgs(c.Dir, opts.AuditLog); err != nil {
			c.Stop()
			return nil, err
		}
	}

	started := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Ports are chosen free but released before the binaries bind them, so
	// another program (another test package's cluster) can take one first.
	// That shows up as an early exit, and a fresh set of ports fixes it.
	const attempts = 3
	for attempt := 1; ; attempt++ {
		err := c.start(ctx, binDir, pkiDir, etcdDir, logf)
		if err == nil {
			break
		}
		if attempt == attempts || !errors.Is(err, errPortTaken) || ctx.Err() != nil {
			c.Stop()
			return nil, err
		}
		logf("a port was taken before it could be bound; retrying with new ports")
		c.stopProcesses()
		if err := os.RemoveAll(etcdDir); err != nil {
			c.Stop()
			return nil, fmt.Errorf("wiping etcd data before retrying: %w", err)
		}
		if err := os.MkdirAll(etcdDir, 0o700); err != nil {
			c.Stop()
			return nil, fmt.Errorf("recreating %s: %w", etcdDir, err)
		}
	}
	logf("control plane ready in %s; kubeconfig: %s", time.Since(started).Round(time.Millisecond), c.Kubeconfig)
	return c, nil
}

func (c *Cluster) start(ctx context.Context, binDir, pkiDir, etcdDir string, logf func(string, ...any)) error {
	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	etcdClientPort, etcdPeerPort, apiPort, kcmPort := ports[0], ports[1], ports[2], ports[3]
	c.Host = "https://127.0.0.1:" + strconv.Itoa(apiPort)

	ca, err := newCertAuthority()
	if err != nil {
		return err
	}
	serviceIP := net.IPv4(10, 96, 0, 1)
	serving, err := ca.servingCert(serviceIP)
	if err != nil {
		return err
	}
	// system:masters is bound to cluster-admin by RBAC's bootstrap policy and
	// bypasses authorization, which is what an operator developer expects of
	// a throwaway cluster's admin identity.
	admin, err := ca.clientCert("devcluster-admin", "system:masters")
	if err != nil {
		return err
	}
	controllerManager, err := ca.clientCert("system:kube-controller-manager", "system:masters")
	if err != nil {
		return err
	}
	// kube-apiserver's identity towards kubelets (the pod runner's log endpoint), which
	// accept client certificates of the cluster CA.
	kubeletClient, err := ca.clientCert("kube-apiserver-kubelet-client", "system:masters")
	if err != nil {
		return err
	}
	saPrivate, saPublic, err := serviceAccountKey()
	if err != nil {
		return err
	}
	if err := writeFiles(pkiDir, map[string][]byte{
		"ca.crt": ca.certPEM, "apiserver.crt": serving.certPEM, "apiserver.key": serving.keyPEM,
		"sa.key": saPrivate, "sa.pub": saPublic,
		"apiserver-kubelet-client.crt": kubeletClient.certPEM, "apiserver-kubelet-client.key": kubeletClient.keyPEM,
	}); err != nil {
		return err
	}
	pki := func(name string) string { return filepath.Join(pkiDir, name) }

	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeerPort)
	logf("starting etcd on %s", etcdURL)
	etcd, err := startProcess("etcd", filepath.Join(binDir, EtcdBinary), []string{
		"--name=devcluster",
		"--data-dir=" + etcdDir,
		"--listen-client-urls=" + etcdURL,
		"--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=devcluster=" + peerURL,
		// Durability is worthless for a throwaway cluster and fsync dominates
		// write latency on CI disks.
		"--unsafe-no-fsync=true",
		"--log-level=warn",
	}, c.LogDir)
	if err != nil {
		return err
	}
	c.processes = append(c.processes, etcd)
	if err := pollUntil(ctx, etcd, func(ctx context.Context) error { return etcdHealthy(ctx, etcdURL) }); err != nil {
		return fmt.Errorf("waiting for etcd: %w", err)
	}

	logf("starting kube-apiserver on %s", c.Host)
	apiserver, err := startProcess("kube-apiserver", filepath.Join(binDir, APIServerBinary), append([]string{
		"--advertise-address=127.0.0.1",
		// Nothing in-cluster dials the kubernetes Service here, and the
		// endpoint reconciler refuses a loopback advertise address.
		"--endpoint-reconciler-type=none",
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(apiPort),
		"--etcd-servers=" + etcdURL,
		"--tls-cert-file=" + pki("apiserver.crt"),
		"--tls-private-key-file=" + pki("apiserver.key"),
		"--client-ca-file=" + pki("ca.crt"),
		"--authorization-mode=RBAC",
		// PodSecurity is on by default in 1.37; naming it keeps that true if a
		// future default changes, since restricted-profile admission is part of
		// what tests here prove.
		"--enable-admission-plugins=PodSecurity",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + pki("sa.pub"),
		"--service-account-signing-key-file=" + pki("sa.key"),
		"--service-cluster-ip-range=10.96.0.0/24",
		"--kubelet-client-certificate=" + pki("apiserver-kubelet-client.crt"),
		"--kubelet-client-key=" + pki("apiserver-kubelet-client.key"),
		"--kubelet-preferred-address-types=InternalIP",
		"--allow-privileged=false",
		"--profiling=false",
		"--v=1",
	}, c.auditArgs...), c.LogDir)
	if err != nil {
		return err
	}
	c.processes = append(c.processes, apiserver)

	c.restConfig = &rest.Config{
		Host: c.Host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData: ca.certPEM, CertData: admin.certPEM, KeyData: admin.keyPEM,
		},
		QPS:   200,
		Burst: 400,
	}
	if err := writeKubeconfig(c.Kubeconfig, c.Host, ca.certPEM, "devcluster-admin", admin); err != nil {
		return err
	}
	if err := pollUntil(ctx, apiserver, c.apiserverReady); err != nil {
		return fmt.Errorf("waiting for kube-apiserver: %w", err)
	}

	if len(c.controllers) == 0 {
		return nil
	}
	kcmKubeconfig := pki("controller-manager.kubeconfig")
	if err := writeKubeconfig(kcmKubeconfig, c.Host, ca.certPEM, "system:kube-controller-manager", controllerManager); err != nil {
		return err
	}
	logf("starting kube-controller-manager with %s", strings.Join(c.controllers, ","))
	c.kcmHealthURL = "https://127.0.0.1:" + strconv.Itoa(kcmPort) + "/healthz"
	kcm, err := startProcess("kube-controller-manager", filepath.Join(binDir, ControllerManagerBinary), []string{
		"--kubeconfig=" + kcmKubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(kcmPort),
		"--cert-dir=" + filepath.Join(pkiDir, "controller-manager-serving"),
		"--controllers=" + strings.Join(c.controllers, ","),
		// One controller-manager per cluster: leader election only adds a
		// lease round-trip to start-up.
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		"--service-account-private-key-file=" + pki("sa.key"),
		"--root-ca-file=" + pki("ca.crt"),
		"--profiling=false",
		"--v=1",
	}, c.LogDir)
	if err != nil {
		return err
	}
	c.processes = append(c.processes, kcm)
	return c.WaitReady(ctx)
}

// WaitReady blocks until kube-apiserver reports ready, kube-controller-manager
// reports healthy and, when the service account controller runs, the default
// namespace has its default ServiceAccount (the first sign the controllers are
// actually reconciling). It fails fast if a component has exited.
func (c *Cluster) WaitReady(ctx context.Context) error {
	for _, p := range c.processes {
		if !p.running() {
			return p.exitError()
		}
	}
	apiserver := c.process("kube-apiserver")
	if apiserver == nil {
		return errors.New("cluster has no kube-apiserver (was it stopped?)")
	}
	if err := pollUntil(ctx, apiserver, c.apiserverReady); err != nil {
		return fmt.Errorf("waiting for kube-apiserver: %w", err)
	}
	kcm := c.process("kube-controller-manager")
	if kcm == nil {
		return nil
	}
	if err := pollUntil(ctx, kcm, c.controllerManagerHealthy); err != nil {
		return fmt.Errorf("waiting for kube-controller-manager: %w", err)
	}
	if slices.Contains(c.controllers, "serviceaccount-controller") {
		if err := c.WaitForDefaultServiceAccount(ctx, metav1.NamespaceDefault); err != nil {
			return err
		}
	}
	return nil
}

// WaitForDefaultServiceAccount waits until the service account controller has
// created the "default" ServiceAccount in namespace. Pod admission rejects
// pods in a namespace that does not have it yet, so tests that create pods
// right after creating a namespace wait for it first.
func (c *Cluster) WaitForDefaultServiceAccount(ctx context.Context, namespace string) error {
	client, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return fmt.Errorf("building client: %w", err)
	}
	kcm := c.process("kube-controller-manager")
	if kcm == nil {
		return errors.New("no kube-controller-manager is running, so no ServiceAccount will appear")
	}
	err = pollUntil(ctx, kcm, func(ctx context.Context) error {
		_, err := client.CoreV1().ServiceAccounts(namespace).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("waiting for ServiceAccount %s/default: %w", namespace, err)
	}
	return nil
}

// RESTConfig returns a fresh admin client configuration (cluster-admin through
// system:masters) for client-go and controller-runtime.
func (c *Cluster) RESTConfig() *rest.Config {
	return rest.CopyConfig(c.restConfig)
}

// Stop terminates kube-controller-manager, kube-apiserver and etcd (in that
// order, each with its whole process group: SIGTERM, then SIGKILL after five
// seconds) and removes the directory if Start created it. Safe to call more
// than once.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.stopProcesses()
		if c.lock != nil {
			c.lock.Close() // releases the flock
		}
		if c.removeDirOnStop {
			_ = os.RemoveAll(c.Dir)
		}
	})
}

// StopAPIServer stops kube-apiserver (SIGTERM, then SIGKILL) and leaves etcd
// and the controllers running, for tests of what clients do while the API
// server is unreachable. StartAPIServer brings it back on the same address.
func (c *Cluster) StopAPIServer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.process("kube-apiserver"); p != nil && p.running() {
		p.stop(5 * time.Second)
	}
}

// StartAPIServer starts a stopped kube-apiserver again with the same flags,
// port and certificates, and waits until it is ready.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.processes {
		if p.name != "kube-apiserver" {
			continue
		}
		if p.running() {
			return nil
		}
		restarted, err := p.restarted()
		if err != nil {
			return err
		}
		c.processes[i] = restarted
		return pollUntil(ctx, restarted, c.apiserverReady)
	}
	return errors.New("no kube-apiserver in this cluster")
}

// stopProcesses stops every process in reverse start order and forgets them.
func (c *Cluster) stopProcesses() {
	for i := len(c.processes) - 1; i >= 0; i-- {
		c.processes[i].stop(5 * time.Second)
	}
	c.processes = nil
}

func (c *Cluster) process(name string) *process {
	for _, p := range c.processes {
		if p.name == name {
			return p
		}
	}
	return nil
}

func (c *Cluster) apiserverReady(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(c.restConfig)
	if err != nil {
		return err
	}
	body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("readyz: %w: %s", err, body)
	}
	// RBAC's bootstrap roles are written by a post-start hook that /readyz
	// waits for; check one directly so the admin identity is known to work.
	_, err = client.CoreV1().Namespaces().Get(ctx, metav1.NamespaceDefault, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("namespace default not created yet")
	}
	return err
}

func (c *Cluster) controllerManagerHealthy(ctx context.Context) error {
	// The controller-manager serves a self-signed certificate of its own; the
	// check is only "is it up", over loopback.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	return getOK(ctx, client, c.kcmHealthURL)
}

func etcdHealthy(ctx context.Context, etcdURL string) error { return GetOK(ctx, etcdURL+"/health") }

// GetOK fails unless a plain GET of url answers 200 OK: a health or readiness check over loopback.
func GetOK(ctx context.Context, url string) error { return getOK(ctx, http.DefaultClient, url) }

// getOK is a health check: a GET of url that succeeds only with 200 OK.
func getOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s returned %s", url, resp.Status)
	}
	return nil
}

// pollUntil calls check every 100ms until it succeeds, the process exits (an
// error with its log tail) or ctx ends (an error with the last check failure).
func pollUntil(ctx context.Context, p *process, check func(context.Context) error) error {
	ticker := time.NewTicker(100 * time.Millisecond)
	defer ticker.Stop()
	var lastErr error
	for {
		if !p.running() {
			return p.exitError()
		}
		checkCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		lastErr = check(checkCtx)
		cancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last check: %v; log: %s)", ctx.Err(), lastErr, p.logPath)
		case <-p.exited:
			return p.exitError()
		case <-ticker.C:
		}
	}
}

// resolveBinDir finds the control-plane binaries and says how to build them
// when they are missing.
func resolveBinDir(binDir string) (string, error) {
	if binDir == "" {
		binDir = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if binDir == "" {
		binDir = filepath.Join("bin", "k8s")
	}
	abs, err := filepath.Abs(binDir)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", binDir, err)
	}
	var missing []string
	for _, name := range []string{EtcdBinary, APIServerBinary, ControllerManagerBinary} {
		if info, err := os.Stat(filepath.Join(abs, name)); err != nil || info.IsDir() {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("control-plane binaries missing from %s: %s; build them with hack/build-control-plane.sh",
			abs, strings.Join(missing, ", "))
	}
	return abs, nil
}

// lockDir takes an exclusive, non-blocking flock on dir/.lock, held for the
// life of the cluster (the kernel drops it if the process dies).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening cluster lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another dev cluster is running from %s (lock: %w)", dir, err)
	}
	return f, nil
}
