// Package kueue runs a real Kueue manager (built from its Go module by hack/build-kueue.sh into
// bin/kueue) out of cluster against a local control plane, the way its in-cluster install would
// run it, for the end-to-end test of campaigns whose Jobs Kueue queues (docs/kueue.md).
//
// In a cluster, Kueue's webhooks and CRD conversion are reached through a Service and its
// internal certificate management keeps a CA and serving certificate in a Secret that the
// kubelet mounts into the pod. Here the webhook server listens on 127.0.0.1 and every webhook
// and conversion is registered by URL; the Secret is created beforehand with a CA and a serving
// certificate valid for both the Service's name (which Kueue checks) and 127.0.0.1 (which the
// API server dials), and the same files are written where a mounted Secret would put them.
// Kueue then finds them valid, keeps them, and injects the CA into the webhooks itself.
package kueue

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/ooheynerds/backfill-operator/internal/dev/devcluster"
)

// QueueLabel is the label that puts a Job in a LocalQueue (spec.job.labels of a campaign).
const QueueLabel = "kueue.x-k8s.io/queue-name"

// Names Kueue's configuration and its internal certificate management agree on: the manager's
// namespace, the Service whose name the serving certificate must carry, the Secret holding the
// certificates and the webhook configurations it injects the CA into ("<base>-mutating-…").
const (
	Namespace          = "kueue-system"
	webhookServiceName = "kueue-webhook-service"
	webhookSecretName  = "kueue-webhook-server-cert"
	caName             = "kueue-ca"
	mutatingName       = "kueue-mutating-webhook-configuration"
	validatingName     = "kueue-validating-webhook-configuration"
)

// conversionCRDs are the CRDs Kueue serves conversion for (its config/components/crd
// kustomization patches them; its certificate management injects their CA and refuses to start
// when one has no conversion webhook).
var conversionCRDs = []string{
	"localqueues.kueue.x-k8s.io", "clusterqueues.kueue.x-k8s.io", "workloads.kueue.x-k8s.io",
	"cohorts.kueue.x-k8s.io", "multikueueclusters.kueue.x-k8s.io",
}

// servedGroups are the API groups whose webhooks the manager serves with only the batch/job
// integration enabled: Kueue's own kinds and Jobs. Registering a webhook of a disabled
// integration (Pods, Deployments, …) would refuse every such object with a 404.
var servedGroups = map[string]bool{"kueue.x-k8s.io": true, "batch": true}

// Options configures Start.
type Options struct {
	// BinDir holds manager and config/ as hack/build-kueue.sh leaves them (<repo>/bin/kueue).
	BinDir string
	// Dir receives the configuration, certificates and kueue.log.
	Dir string
	// Kubeconfig is an admin kubeconfig of the cluster.
	Kubeconfig string
	// Client is an admin client of the cluster.
	Client client.Client
	// Logf receives one line per start-up step (default: nothing).
	Logf func(format string, args ...any)
}

// Kueue is a running manager. Stop it when done.
type Kueue struct {
	process *devcluster.Process
	client  client.Client
}

// Start installs Kueue's CRDs and webhooks, starts the manager and returns once it reports ready
// (certificates accepted, webhook server listening). ctx bounds start-up only.
func Start(ctx context.Context, o Options) (k *Kueue, err error) {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	manager := filepath.Join(o.BinDir, "manager")
	if _, err := os.Stat(manager); err != nil {
		return nil, fmt.Errorf("no Kueue manager in %s (build it with hack/build-kueue.sh or make kueue): %w", o.BinDir, err)
	}
	certDir := filepath.Join(o.Dir, "certs")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return nil, err
	}
	ports, err := devcluster.FreePorts(2)
	if err != nil {
		return nil, err
	}
	webhookPort, healthPort := ports[0], ports[1]
	webhookURL := "https://127.0.0.1:" + strconv.Itoa(webhookPort)

	certs, err := devcluster.NewWebhookCerts(caName, webhookServiceName+"."+Namespace+".svc")
	if err != nil {
		return nil, err
	}
	// What the kubelet would mount from the Secret.
	for name, data := range map[string][]byte{"tls.crt": certs.Cert, "tls.key": certs.Key} {
		if err := os.WriteFile(filepath.Join(certDir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	k = &Kueue{client: o.Client}
	defer func() {
		if err != nil {
			k.Stop(context.Background())
			k = nil
		}
	}()

	logf("installing Kueue's CRDs, namespace %s, certificate Secret and webhooks (served at %s)", Namespace, webhookURL)
	if err := installCRDs(ctx, o.Client, filepath.Join(o.BinDir, "config", "crd"), webhookURL+"/convert", certs.CA); err != nil {
		return k, err
	}
	if err := createOrReplace(ctx, o.Client, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}}); err != nil {
		return k, err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: webhookSecretName},
		Data: map[string][]byte{
			"ca.crt": certs.CA, "ca.key": certs.CAKey, "tls.crt": certs.Cert, "tls.key": certs.Key,
		},
	}
	if err := createOrReplace(ctx, o.Client, secret); err != nil {
		return k, err
	}
	if err := installWebhooks(ctx, o.Client, filepath.Join(o.BinDir, "config", "webhook", "manifests.yaml"), webhookURL, certs.CA); err != nil {
		return k, err
	}

	cfgPath := filepath.Join(o.Dir, "config.yaml")
	if err := os.WriteFile(cfgPath, configuration(webhookPort, healthPort, certDir), 0o600); err != nil {
		return k, err
	}
	logf("starting the Kueue manager (%s, log %s)", manager, filepath.Join(o.Dir, "kueue.log"))
	k.process, err = devcluster.StartProcess("kueue", manager, []string{"--config=" + cfgPath, "--kubeconfig=" + o.Kubeconfig}, o.Dir)
	if err != nil {
		return k, err
	}
	readyz := "http://127.0.0.1:" + strconv.Itoa(healthPort) + "/readyz"
	if err := k.process.WaitUntil(ctx, func(ctx context.Context) error { return devcluster.GetOK(ctx, readyz) }); err != nil {
		return k, fmt.Errorf("waiting for Kueue to be ready: %w", err)
	}
	logf("Kueue is ready")
	return k, nil
}

// configuration is Kueue's Configuration (config.kueue.x-k8s.io/v1beta2) for one manager on
// loopback: only batch/v1 Jobs that name a queue are managed; no leader election, metrics or
// visibility server (nothing here scrapes them, and their fixed ports could collide).
func configuration(webhookPort, healthPort int, certDir string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: config.kueue.x-k8s.io/v1beta2
kind: Configuration
namespace: %s
manageJobsWithoutQueueName: false
health:
  healthProbeBindAddress: 127.0.0.1:%d
metrics:
  bindAddress: "0"
webhook:
  host: 127.0.0.1
  port: %d
  certDir: %s
leaderElection:
  leaderElect: false
internalCertManagement:
  enable: true
  webhookServiceName: %s
  webhookSecretName: %s
featureGates:
  VisibilityOnDemand: false
integrations:
  frameworks:
  - batch/job
`, Namespace, healthPort, webhookPort, certDir, webhookServiceName, webhookSecretName))
}

// Running reports whether the manager is still running, and if not, why it ended.
func (k *Kueue) Running() error {
	if k.process == nil || k.process.Running() {
		return nil
	}
	return k.process.ExitError()
}

// Log is the manager's log file.
func (k *Kueue) Log() string {
	if k.process == nil {
		return ""
	}
	return k.process.LogPath()
}

// Stop removes Kueue's webhooks first — with failurePolicy Fail they would refuse every Job once
// nothing serves them — and then stops the manager. Kueue's objects stay (a queued Job stays
// suspended, as it would in a cluster whose Kueue is down).
func (k *Kueue) Stop(ctx context.Context) {
	for _, obj := range []client.Object{
		&admissionv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: mutatingName}},
		&admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: validatingName}},
	} {
		_ = client.IgnoreNotFound(k.client.Delete(ctx, obj))
	}
	if k.process != nil {
		k.process.Stop(10 * time.Second)
	}
}

// installCRDs creates Kueue's CRDs with their conversion served by the manager at convertURL.
func installCRDs(ctx context.Context, c client.Client, dir, convertURL string, caPEM []byte) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no Kueue CRDs in %s (hack/build-kueue.sh copies them): %v", dir, err)
	}
	conversion := map[string]bool{}
	for _, n := range conversionCRDs {
		conversion[n] = true
	}
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		crd := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &crd.Object); err != nil {
			return fmt.Errorf("reading %s: %w", f, err)
		}
		if conversion[crd.GetName()] {
			if err := unstructured.SetNestedMap(crd.Object, map[string]any{
				"strategy": "Webhook",
				"webhook": map[string]any{
					"conversionReviewVersions": []any{"v1"},
					"clientConfig":             map[string]any{"url": convertURL, "caBundle": caBundle(caPEM)},
				},
			}, "spec", "conversion"); err != nil {
				return err
			}
		}
		if err := createOrReplace(ctx, c, crd); err != nil {
			return err
		}
		names = append(names, crd.GetName())
	}
	return waitEstablished(ctx, c, names)
}

func waitEstablished(ctx context.Context, c client.Client, names []string) error {
	for _, name := range names {
		for {
			crd := &unstructured.Unstructured{}
			crd.SetGroupVersionKind(schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"})
			if err := c.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
				return fmt.Errorf("reading CRD %s: %w", name, err)
			}
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			established := false
			for _, cond := range conds {
				m, _ := cond.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					established = true
				}
			}
			if established {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("CRD %s not established: %w", name, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// installWebhooks registers Kueue's own webhook manifests, those of the served API groups only,
// by URL on loopback instead of through its Service.
func installWebhooks(ctx context.Context, c client.Client, manifests, baseURL string, caPEM []byte) error {
	data, err := os.ReadFile(manifests)
	if err != nil {
		return fmt.Errorf("reading Kueue's webhook manifests (hack/build-kueue.sh copies them): %w", err)
	}
	mutating := &admissionv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: mutatingName}}
	validating := &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: validatingName}}
	for _, doc := range bytes.Split(data, []byte("\n---")) {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return fmt.Errorf("reading %s: %w", manifests, err)
		}
		switch meta.Kind {
		case "MutatingWebhookConfiguration":
			var in admissionv1.MutatingWebhookConfiguration
			if err := yaml.Unmarshal(doc, &in); err != nil {
				return err
			}
			mutating.Webhooks, err = servedByURL(in.Webhooks, baseURL, caPEM, func(w *admissionv1.MutatingWebhook) (*admissionv1.WebhookClientConfig, []admissionv1.RuleWithOperations) {
				return &w.ClientConfig, w.Rules
			})
		case "ValidatingWebhookConfiguration":
			var in admissionv1.ValidatingWebhookConfiguration
			if err := yaml.Unmarshal(doc, &in); err != nil {
				return err
			}
			validating.Webhooks, err = servedByURL(in.Webhooks, baseURL, caPEM, func(w *admissionv1.ValidatingWebhook) (*admissionv1.WebhookClientConfig, []admissionv1.RuleWithOperations) {
				return &w.ClientConfig, w.Rules
			})
		}
		if err != nil {
			return fmt.Errorf("%s: %w", manifests, err)
		}
	}
	if len(mutating.Webhooks) == 0 || len(validating.Webhooks) == 0 {
		return fmt.Errorf("%s: %d mutating and %d validating webhooks for Jobs and Kueue's kinds, want both", manifests, len(mutating.Webhooks), len(validating.Webhooks))
	}
	if err := createOrReplace(ctx, c, mutating); err != nil {
		return err
	}
	return createOrReplace(ctx, c, validating)
}

// servedByURL keeps the webhooks of servedGroups, each dialled at baseURL + its Service path.
func servedByURL[W any](in []W, baseURL string, caPEM []byte, parts func(*W) (*admissionv1.WebhookClientConfig, []admissionv1.RuleWithOperations)) ([]W, error) {
	var out []W
	for i := range in {
		cc, rules := parts(&in[i])
		served := false
		for _, r := range rules {
			for _, g := range r.APIGroups {
				served = served || servedGroups[g]
			}
		}
		if !served {
			continue
		}
		if cc.Service == nil || cc.Service.Path == nil {
			return nil, errors.New("a Kueue webhook without a Service path")
		}
		url := baseURL + *cc.Service.Path
		*cc = admissionv1.WebhookClientConfig{URL: &url, CABundle: caPEM}
		out = append(out, in[i])
	}
	return out, nil
}

// createOrReplace creates obj, or replaces what a previous start left (another port, other
// certificates).
func createOrReplace(ctx context.Context, c client.Client, obj client.Object) error {
	err := c.Create(ctx, obj)
	if apierrors.IsAlreadyExists(err) {
		existing := obj.DeepCopyObject().(client.Object)
		if err = c.Get(ctx, client.ObjectKeyFromObject(obj), existing); err == nil {
			obj.SetResourceVersion(existing.GetResourceVersion())
			err = c.Update(ctx, obj)
		}
	}
	if err != nil {
		return fmt.Errorf("creating %T %s: %w", obj, obj.GetName(), err)
	}
	return nil
}

// caBundle is a []byte field as unstructured objects carry it: base64, as in JSON.
func caBundle(caPEM []byte) string { return base64.StdEncoding.EncodeToString(caPEM) }

// Queues is what Kueue needs to admit a namespace's Jobs: one ResourceFlavor, a ClusterQueue
// whose quota is Quota of that flavor, and a LocalQueue pointing at it.
type Queues struct {
	// Name names the flavor, the ClusterQueue and the LocalQueue (the queue label's value).
	Name      string
	Namespace string
	// Quota is the ClusterQueue's nominal quota per resource: how many Jobs run at once is how
	// many of their requests fit.
	Quota corev1.ResourceList
	// Held creates the ClusterQueue with stopPolicy Hold: it admits nothing until Release.
	Held bool
}

var (
	gvResourceFlavor = schema.GroupVersionKind{Group: "kueue.x-k8s.io", Version: "v1beta2", Kind: "ResourceFlavor"}
	gvClusterQueue   = schema.GroupVersionKind{Group: "kueue.x-k8s.io", Version: "v1beta2", Kind: "ClusterQueue"}
	gvLocalQueue     = schema.GroupVersionKind{Group: "kueue.x-k8s.io", Version: "v1beta2", Kind: "LocalQueue"}
)

// Create creates the queues (Kueue's objects are unstructured here, so the operator's module
// does not depend on Kueue's).
func (q Queues) Create(ctx context.Context, c client.Client) error {
	var covered []any
	var quotas []any
	for name, qty := range q.Quota {
		covered = append(covered, string(name))
		quotas = append(quotas, map[string]any{"name": string(name), "nominalQuota": qty.String()})
	}
	stop := "None"
	if q.Held {
		stop = "Hold"
	}
	objs := []*unstructured.Unstructured{
		object(gvResourceFlavor, "", q.Name, map[string]any{}),
		object(gvClusterQueue, "", q.Name, map[string]any{
			"namespaceSelector": map[string]any{},
			"stopPolicy":        stop,
			"resourceGroups": []any{map[string]any{
				"coveredResources": covered,
				"flavors":          []any{map[string]any{"name": q.Name, "resources": quotas}},
			}},
		}),
		object(gvLocalQueue, q.Namespace, q.Name, map[string]any{"clusterQueue": q.Name}),
	}
	for _, o := range objs {
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("creating %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// Release sets the ClusterQueue's stopPolicy to None: Kueue starts admitting.
func (q Queues) Release(ctx context.Context, c client.Client) error {
	cq := object(gvClusterQueue, "", q.Name, nil)
	patch := []byte(`{"spec":{"stopPolicy":"None"}}`)
	if err := c.Patch(ctx, cq, client.RawPatch("application/merge-patch+json", patch)); err != nil {
		return fmt.Errorf("releasing ClusterQueue %s: %w", q.Name, err)
	}
	return nil
}

// Ready reports whether Kueue has taken the queues in: the ClusterQueue Active, or, when Held,
// inactive for no reason but being stopped; and the LocalQueue Active unless Held. Otherwise it
// says what Kueue reports.
func (q Queues) Ready(ctx context.Context, c client.Client) (bool, string) {
	var seen []string
	for _, o := range []*unstructured.Unstructured{object(gvClusterQueue, "", q.Name, nil), object(gvLocalQueue, q.Namespace, q.Name, nil)} {
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			return false, err.Error()
		}
		conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
		var status, reason any
		for _, cond := range conds {
			if m, _ := cond.(map[string]any); m["type"] == "Active" {
				status, reason = m["status"], m["reason"]
				seen = append(seen, fmt.Sprintf("%s %s Active=%v (%v: %v)", o.GetKind(), o.GetName(), status, reason, m["message"]))
			}
		}
		switch {
		case !q.Held && status != "True":
			return false, strings.Join(seen, "; ")
		case q.Held && o.GetKind() == gvClusterQueue.Kind && (status != "False" || reason != "Stopped"):
			return false, strings.Join(seen, "; ")
		}
	}
	return true, strings.Join(seen, "; ")
}

func object(gvk schema.GroupVersionKind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	o := &unstructured.Unstructured{Object: map[string]any{}}
	o.SetGroupVersionKind(gvk)
	o.SetNamespace(ns)
	o.SetName(name)
	if spec != nil {
		o.Object["spec"] = spec
	}
	return o
}
