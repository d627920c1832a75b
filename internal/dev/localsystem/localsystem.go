// Package localsystem starts the whole operator on one machine — a local control plane with
// Kubernetes' own Job and garbage-collection controllers, a throwaway PostgreSQL, the provider
// fakes, the CRDs, the manager as a subprocess of the built binary, and the pod runner that
// runs the Jobs' pods as local processes — and stops all of it again. The demo and the
// end-to-end tests share it, so what the demo shows is what the tests check.
package localsystem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ooheynerds/backfill-operator/internal/database"
	"github.com/ooheynerds/backfill-operator/internal/dev/devcluster"
	"github.com/ooheynerds/backfill-operator/internal/dev/fakes"
	"github.com/ooheynerds/backfill-operator/internal/dev/localpg"
	"github.com/ooheynerds/backfill-operator/internal/dev/podrunner"
	"github.com/ooheynerds/backfill-operator/internal/manager"
)

// Names of the Secrets every namespace made by Namespace holds, and their keys.
const (
	DatabaseSecret    = "backfill-database"
	DatabaseSecretKey = "url"
	APIKeysSecret     = "backfill-api-keys"
)

// API key names inside APIKeysSecret, as config/samples/demo/campaign.yaml references them.
const (
	KeyGemini      = "gemini-api-key"
	KeyXAI         = "xai-api-key"
	KeyISBNdb      = "isbndb-api-key"
	KeyGoogleBooks = "google-books-api-key"
)

// WorkerImage is the image the manager puts in the Jobs; the pod runner maps it (and the
// container's command, /backfill-operator) to the built binary.
const WorkerImage = "backfill-operator:dev"

// Options configures Start.
type Options struct {
	// Binary is the built operator binary (manager, worker): the manager runs as its
	// subprocess and the pod runner runs it for every Job pod.
	Binary string
	// RepoRoot holds config/crd (the CRDs are installed with the machine's kubectl).
	RepoRoot string
	// Dir receives the cluster, PostgreSQL data, manager and pod logs. Empty means a
	// temporary directory removed by Stop.
	Dir string
	// K8sBinDir holds etcd, kube-apiserver and kube-controller-manager (default
	// <RepoRoot>/bin/k8s).
	K8sBinDir string
	// Fakes configures the provider fakes (Addr defaults to a free loopback port).
	Fakes fakes.Options
	// ManagerArgs are added to the manager's command line (e.g. "--zap-log-level=debug").
	ManagerArgs []string
	// Logf receives one line per start-up and shutdown step (default: nothing).
	Logf func(format string, args ...any)
	// AuditLog, when set, is where the API server writes its audit log (see
	// devcluster.Options.AuditLog); benchmarks count the manager's requests from it.
	AuditLog string
}

// System is the running whole. Stop it when done.
type System struct {
	Cluster  *devcluster.Cluster
	Postgres *localpg.Server
	Fakes    *fakes.Server
	// DatabaseURL is the one database the manager's mirror and every worker use: the manager
	// reads each attempt's report from the same database the worker wrote it to.
	DatabaseURL string
	// DB is a pool on DatabaseURL for reading results.
	DB *pgxpool.Pool
	// Client reads and writes the operator's resources and Kubernetes' own.
	Client client.Client
	// Kube is a typed clientset (pods, Jobs, events).
	Kube kubernetes.Interface
	// Dir is the system's working directory.
	Dir string

	opts       Options
	logf       func(format string, args ...any)
	removeDir  bool
	mu         sync.Mutex
	manager    *exec.Cmd
	managerEnd chan error
	runnerStop context.CancelFunc
	runnerDone chan error
}

// Start brings the whole system up, in dependency order, and returns once the manager and the
// pod runner are running. ctx bounds start-up only. On error everything started is stopped.
func Start(ctx context.Context, opts Options) (s *System, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.Binary == "" || opts.RepoRoot == "" {
		return nil, errors.New("localsystem: Binary and RepoRoot are required")
	}
	s = &System{opts: opts, logf: logf, Dir: opts.Dir}
	if s.Dir == "" {
		if s.Dir, err = os.MkdirTemp("", "localsystem-"); err != nil {
			return nil, err
		}
		s.removeDir = true
	}
	// PostgreSQL runs as the postgres user when we are root: it must be able to enter Dir.
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	_ = os.Chmod(s.Dir, 0o755)
	defer func() {
		if err != nil {
			s.Stop()
			s = nil
		}
	}()

	binDir := opts.K8sBinDir
	if binDir == "" {
		binDir = filepath.Join(opts.RepoRoot, "bin", "k8s")
	}
	logf("starting the control plane (etcd, kube-apiserver, kube-controller-manager) in %s", filepath.Join(s.Dir, "cluster"))
	if s.Cluster, err = devcluster.Start(ctx, devcluster.Options{BinDir: binDir, Dir: filepath.Join(s.Dir, "cluster"), AuditLog: opts.AuditLog}); err != nil {
		return s, fmt.Errorf("starting the control plane: %w", err)
	}
	cfg := s.RESTConfig()
	if s.Client, err = client.New(cfg, client.Options{Scheme: manager.Scheme()}); err != nil {
		return s, err
	}
	if s.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return s, err
	}

	logf("starting a throwaway PostgreSQL")
	pgDir := filepath.Join(s.Dir, "postgres")
	if err := os.RemoveAll(pgDir); err != nil {
		return s, err
	}
	if err := os.MkdirAll(pgDir, 0o755); err != nil {
		return s, err
	}
	if s.Postgres, err = localpg.Start(ctx, pgDir); err != nil {
		return s, fmt.Errorf("starting PostgreSQL: %w", err)
	}
	if s.DatabaseURL, err = localpg.CreateDatabase(ctx, s.Postgres.URL("postgres"), "alexandria"); err != nil {
		return s, err
	}
	// Connect applies the schema, so the first workers never race the manager's migration.
	if s.DB, err = database.Connect(ctx, s.DatabaseURL); err != nil {
		return s, fmt.Errorf("preparing the database: %w", err)
	}

	logf("starting the provider fakes")
	fo := opts.Fakes
	if fo.Addr == "" {
		fo.Addr = "127.0.0.1:0"
	}
	if s.Fakes, err = fakes.Start(context.Background(), fo); err != nil {
		return s, fmt.Errorf("starting the fakes: %w", err)
	}

	logf("installing the CRDs with kubectl")
	if err := s.installCRDs(ctx); err != nil {
		return s, err
	}
	if err := s.StartManager(); err != nil {
		return s, err
	}
	if err := s.startPodRunner(); err != nil {
		return s, err
	}
	return s, nil
}

// RESTConfig is an admin client configuration for the cluster.
func (s *System) RESTConfig() *rest.Config {
	cfg := rest.CopyConfig(s.Cluster.RESTConfig())
	cfg.QPS, cfg.Burst = 200, 400
	return cfg
}

// Kubectl runs the machine's kubectl against the cluster and returns its combined output.
func (s *System) Kubectl(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", s.Cluster.Kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("kubectl %v: %w: %s", args, err, bytes.TrimSpace(out))
	}
	return out, nil
}

func (s *System) installCRDs(ctx context.Context) error {
	crd := filepath.Join(s.opts.RepoRoot, "config", "crd")
	args := []string{"apply", "--server-side", "-f", filepath.Join(crd, "bases")}
	if _, err := os.Stat(filepath.Join(crd, "kustomization.yaml")); err == nil {
		args = []string{"apply", "--server-side", "-k", crd}
	}
	if _, err := s.Kubectl(ctx, args...); err != nil {
		return fmt.Errorf("installing the CRDs: %w", err)
	}
	_, err := s.Kubectl(ctx, "wait", "--for=condition=Established", "--timeout=60s",
		"crd/backfillcampaigns.alexandria.ooheynerds.com", "crd/backfillmonths.alexandria.ooheynerds.com")
	return err
}

// StartManager starts the manager as a subprocess of the built binary, its output appended to
// manager.log. The workers' database Secret is DatabaseSecret/DatabaseSecretKey in each
// campaign's namespace.
func (s *System) StartManager() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.manager != nil {
		return errors.New("the manager is already running")
	}
	logFile, err := os.OpenFile(s.ManagerLog(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	s.logf("starting the manager (%s manager, log %s)", s.opts.Binary, s.ManagerLog())
	cmd, end, err := s.startManagerProcess(logFile, &syscall.SysProcAttr{Setpgid: true}, s.opts.ManagerArgs)
	if err != nil {
		return fmt.Errorf("starting the manager: %w", err)
	}
	s.manager, s.managerEnd = cmd, end
	return nil
}

// startManagerProcess starts the built binary as a manager with the flags every manager of the
// system has, then args, its output in logFile (closed when it ends, and on a failed start);
// end receives how it ended.
func (s *System) startManagerProcess(logFile *os.File, attr *syscall.SysProcAttr, args []string) (*exec.Cmd, chan error, error) {
	cmd := exec.Command(s.opts.Binary, append([]string{"manager",
		"--kubeconfig", s.Cluster.Kubeconfig,
		"--worker-image", WorkerImage,
		"--worker-database-secret", DatabaseSecret + "/" + DatabaseSecretKey,
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "0",
	}, args...)...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+s.DatabaseURL)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, nil, err
	}
	end := make(chan error, 1)
	go func() { end <- cmd.Wait(); logFile.Close() }()
	return cmd, end, nil
}

// ManagerPID is the running manager's process id (0 when it is not running), for benchmarks
// that read its memory.
func (s *System) ManagerPID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.manager == nil {
		return 0
	}
	return s.manager.Process.Pid
}

// ManagerLog is the manager's log file (all its runs, appended).
func (s *System) ManagerLog() string { return filepath.Join(s.Dir, "manager.log") }

// KillManager ends the manager with SIGKILL — no shutdown, no flush, as a node failure
// would — and waits until it is gone.
func (s *System) KillManager() error { return s.stopManager(syscall.SIGKILL) }

func (s *System) stopManager(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.manager == nil {
		return nil
	}
	_ = syscall.Kill(-s.manager.Process.Pid, sig)
	select {
	case <-s.managerEnd:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-s.manager.Process.Pid, syscall.SIGKILL)
		<-s.managerEnd
	}
	s.manager, s.managerEnd = nil, nil
	return nil
}

// ManagerExited reports whether a started manager has ended on its own, and how.
func (s *System) ManagerExited() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.manager == nil {
		return false, nil
	}
	return exited(s.managerEnd)
}

// exited peeks at how a process ended (what its Wait returned, into end): whether it has, and
// how, leaving the answer in end for the next look.
func exited(end chan error) (bool, error) {
	select {
	case err := <-end:
		end <- err
		return true, err
	default:
		return false, nil
	}
}

func (s *System) startPodRunner() error {
	logFile, err := os.OpenFile(filepath.Join(s.Dir, "podrunner.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts := podrunner.Options{
		Mappings: []podrunner.Mapping{{Name: "backfill-operator", Binary: s.opts.Binary}},
		LogDir:   s.PodLogDir(),
		Logger:   slog.New(slog.NewTextHandler(logFile, nil)),
	}
	s.logf("starting the pod runner (Job pods run %s worker, logs in %s)", s.opts.Binary, opts.LogDir)
	go func() { done <- podrunner.Run(ctx, s.RESTConfig(), opts); logFile.Close() }()
	s.runnerStop, s.runnerDone = cancel, done
	return nil
}

// PodLogDir holds each pod's output and termination message.
func (s *System) PodLogDir() string { return filepath.Join(s.Dir, "pods") }

// NamespaceOptions configures Namespace.
type NamespaceOptions struct {
	// APIKeys are the values of APIKeysSecret's keys (KeyGemini, …); missing keys get a fake
	// value the fakes accept.
	APIKeys map[string]string
	// WithoutDatabaseSecret leaves DatabaseSecret out, so the workers' pods cannot start.
	WithoutDatabaseSecret bool
}

// Namespace creates a namespace that enforces the restricted Pod Security Standard and holds
// the Secrets a campaign references: the workers' database URL and the providers' API keys.
func (s *System) Namespace(ctx context.Context, name string, o NamespaceOptions) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	}}}
	if err := s.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	keys := map[string]string{KeyGemini: "fake-gemini-key", KeyXAI: "fake-xai-key", KeyISBNdb: "fake-isbndb-key", KeyGoogleBooks: "fake-google-key"}
	for k, v := range o.APIKeys {
		if v != "" {
			keys[k] = v
		}
	}
	secrets := []*corev1.Secret{{
		ObjectMeta: metav1.ObjectMeta{Name: APIKeysSecret, Namespace: name}, StringData: keys,
	}}
	if !o.WithoutDatabaseSecret {
		secrets = append(secrets, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: DatabaseSecret, Namespace: name},
			StringData: map[string]string{DatabaseSecretKey: s.DatabaseURL},
		})
	}
	for _, sec := range secrets {
		if err := s.Client.Create(ctx, sec); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating Secret %s/%s: %w", name, sec.Name, err)
		}
	}
	return nil
}

// Stop stops everything Start started, in reverse order: the manager (SIGTERM), the pod
// runner (which stops its workers), the fakes, PostgreSQL and the control plane.
func (s *System) Stop() {
	if s.managerRunning() {
		s.logf("stopping the manager")
		_ = s.stopManager(syscall.SIGTERM)
	}
	if s.runnerStop != nil {
		s.logf("stopping the pod runner")
		s.runnerStop()
		select {
		case <-s.runnerDone:
		case <-time.After(30 * time.Second):
		}
		s.runnerStop = nil
	}
	if s.Fakes != nil {
		_ = s.Fakes.Close()
		s.Fakes = nil
	}
	if s.DB != nil {
		s.DB.Close()
		s.DB = nil
	}
	if s.Postgres != nil {
		s.logf("stopping PostgreSQL")
		_ = s.Postgres.Stop()
		s.Postgres = nil
	}
	if s.Cluster != nil {
		s.logf("stopping the control plane")
		s.Cluster.Stop()
		s.Cluster = nil
	}
	if s.removeDir {
		_ = os.RemoveAll(s.Dir)
	}
}

func (s *System) managerRunning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.manager != nil
}

// Tail returns the last n bytes of a log file, for failure messages.
func Tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > n {
		_, _ = f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
