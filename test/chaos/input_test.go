package chaos

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/dev/localsystem"
)

// The campaign's database Secret does not exist: within one pass `kubectl get bfm` shows the
// kubelet's reason, no attempt of the month's own is used up, and once the Secret is created
// the months complete.
func TestMissingSecretIsShownAndCostsNoAttempt(t *testing.T) {
	ns := sys.NewNamespace(t, "nosecret", localsystem.NamespaceOptions{WithoutDatabaseSecret: true})
	c := sys.Campaign(ns, "nosecret", localsystem.Phase("only", 2008, 1, 2, 2))
	c.Spec.Retry.MaxAttempts = 2
	sys.Create(t, c)
	want := fmt.Sprintf("secret %q not found", localsystem.DatabaseSecret)
	causeShown(t, ns, c.Name, want)

	if err := sys.Client.Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: localsystem.DatabaseSecret, Namespace: ns},
		StringData: map[string]string{localsystem.DatabaseSecretKey: sys.DatabaseURL},
	}); err != nil {
		t.Fatal(err)
	}
	holds(t, c, 2, true, 3*time.Minute)
}

// The campaign names an image no one can pull: the cause is shown within one pass and costs no
// attempt; once the campaign's image is fixed the months complete.
func TestUnpullableImageIsShownAndCostsNoAttempt(t *testing.T) {
	ns := sys.NewNamespace(t, "noimage", localsystem.NamespaceOptions{})
	c := sys.Campaign(ns, "noimage", localsystem.Phase("only", 2007, 1, 2, 2))
	c.Spec.Retry.MaxAttempts = 2
	c.Spec.Job.Image = "registry.invalid/ooheynerds/no-such-worker:v0"
	sys.Create(t, c)
	causeShown(t, ns, c.Name, "ImagePullBackOff", "ErrImagePull")

	cur := sys.GetCampaign(t, ns, c.Name)
	cur.Spec.Job.Image = localsystem.WorkerImage
	if err := sys.Client.Update(context.Background(), cur); err != nil {
		t.Fatal(err)
	}
	holds(t, cur, 2, true, 3*time.Minute)
}

// The API keys were stored with a trailing newline (as `kubectl create secret --from-file`
// writes a file's last line): they are trimmed, and the months complete.
func TestKeyWithTrailingNewline(t *testing.T) {
	ns := sys.NewNamespace(t, "newline", localsystem.NamespaceOptions{APIKeys: map[string]string{
		localsystem.KeyGemini: "fake-gemini-key\n", localsystem.KeyXAI: "fake-xai-key\n",
		localsystem.KeyISBNdb: "fake-isbndb-key\n", localsystem.KeyGoogleBooks: "fake-google-key\n",
	}})
	c := sys.Campaign(ns, "newline", localsystem.Phase("only", 2006, 1, 2, 2))
	sys.Create(t, c)
	holds(t, c, 2, true, 3*time.Minute)
}

// causeShown waits (one pass: well under the pending deadline) until a month's status and
// `kubectl get bfm -o wide` name one of the causes, and checks that no month has used up an
// attempt of its own meanwhile.
func causeShown(t *testing.T, ns, campaign string, causes ...string) {
	t.Helper()
	shows := func(s string) bool {
		for _, c := range causes {
			if strings.Contains(s, c) {
				return true
			}
		}
		return false
	}
	sys.Eventually(t, 90*time.Second, fmt.Sprintf("a month to show %q", causes), func() (bool, string) {
		var seen []string
		for _, m := range sys.ListMonths(t, ns, campaign) {
			ready := ""
			for _, c := range m.Status.Conditions {
				ready += c.Type + "=" + c.Message + "; "
			}
			if shows(m.Status.LastError) || shows(ready) {
				return true, ""
			}
			seen = append(seen, fmt.Sprintf("%s %s lastError=%q conditions=%s", m.Name, m.Status.State, m.Status.LastError, ready))
		}
		return false, strings.Join(seen, " | ")
	})
	out, err := sys.Kubectl(context.Background(), "get", "bfm", "-n", ns, "-o", "wide")
	if err != nil {
		t.Fatal(err)
	}
	if !shows(string(out)) {
		t.Errorf("kubectl get bfm -o wide does not show %q:\n%s", causes, out)
	}
	for _, m := range sys.ListMonths(t, ns, campaign) {
		if n := ownAttempts(&m); n != 0 {
			t.Errorf("%s used %d attempts of its own on a cause outside it: %+v", m.Name, n, m.Status.History)
		}
		if m.Status.State == v1alpha1.MonthFailed {
			t.Errorf("%s failed on a cause outside it: %s", m.Name, m.Status.LastError)
		}
	}
}
