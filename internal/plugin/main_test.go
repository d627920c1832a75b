package plugin_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/ooheynerds/backfill-operator/internal/dev/testenv"
	"github.com/ooheynerds/backfill-operator/internal/plugin"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")
	env    *testenv.Env
	// kubeconfig points at env, as a user's would: a cluster, a user and contexts.
	kubeconfig string
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // the tests that need the control plane call needCluster
	}
	var err error
	if env, err = testenv.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "kubectl-backfill-")
	if err == nil {
		kubeconfig = filepath.Join(dir, "kubeconfig")
		err = writeKubeconfig(kubeconfig)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		_ = env.Stop()
		os.Exit(1)
	}
	code := m.Run()
	_ = env.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func needCluster(t *testing.T) {
	t.Helper()
	if env == nil {
		t.Skip("needs the control plane (not with -short)")
	}
}

// writeKubeconfig writes a kubeconfig for env with the context "test" (namespace default) and
// one context per namespace given later through contextFor.
func writeKubeconfig(path string) error {
	cfg := env.Config
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin", Namespace: "default"}
	kc.CurrentContext = "test"
	return clientcmd.WriteToFile(*kc, path)
}

// addContext adds a context whose namespace is ns, as `kubectl config set-context` would.
func addContext(t *testing.T, name, ns string) {
	t.Helper()
	kc, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin", Namespace: ns}
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}
}

// runner runs kubectl-backfill in-process with a fixed clock and environment.
type runner struct {
	now       time.Time
	env       map[string]string
	tty       bool
	maxFrames int
	stdin     string
}

type result struct {
	out, err string
	fail     error
}

func (r runner) run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := plugin.NewCommand(plugin.Options{
		Streams:    genericiooptions.IOStreams{In: strings.NewReader(r.stdin), Out: &out, ErrOut: &errb},
		Now:        func() time.Time { return r.now },
		Getenv:     func(k string) string { return r.env[k] },
		IsTerminal: func(io.Writer) bool { return r.tty },
		MaxFrames:  r.maxFrames,
	})
	if kubeconfig != "" {
		args = append([]string{"--kubeconfig", kubeconfig}, args...)
	}
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return result{out: out.String(), err: errb.String(), fail: err}
}

// must runs and fails the test on an error.
func (r runner) must(t *testing.T, args ...string) result {
	t.Helper()
	res := r.run(t, args...)
	if res.fail != nil {
		t.Fatalf("kubectl backfill %s: %v\nstderr: %s", strings.Join(args, " "), res.fail, res.err)
	}
	return res
}

// stamps are the absolute dates that depend on the day the test runs (the API server sets
// creation times); golden files hold them as <date>.
var stamps = regexp.MustCompile(`\d{4}-\d{2}-\d{2}( \d{2}:\d{2} UTC)?`)

// golden compares got with testdata/NAME.golden (rewritten with -update).
func golden(t *testing.T, name, got string, normalise bool) {
	t.Helper()
	if normalise {
		got = stamps.ReplaceAllString(got, "<date>")
	}
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update if the change is intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
