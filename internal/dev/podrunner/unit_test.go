package podrunner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestResolveArgv(t *testing.T) {
	rules := []Mapping{
		{Name: "backfill-operator", Binary: "/repo/bin/backfill-operator"},
		{Name: "registry.local:5000/tools/sh:1", Binary: "/bin/sh"},
	}
	for _, tc := range []struct {
		name      string
		container corev1.Container
		want      []string
		wantErr   string
	}{
		{
			name: "image last path element, command path replaced",
			container: corev1.Container{Name: "worker", Image: "ghcr.io/ooheynerds/backfill-operator:v0.1.0",
				Command: []string{"/backfill-operator"}, Args: []string{"worker", "--month=2020-01"}},
			want: []string{"/repo/bin/backfill-operator", "worker", "--month=2020-01"},
		},
		{
			name:      "command base name does not stand for an unknown image",
			container: corev1.Container{Name: "worker", Image: "distroless:latest", Command: []string{"/usr/local/bin/backfill-operator", "worker"}},
			wantErr:   `no --map rule for image "distroless:latest"`,
		},
		{
			name:      "image digest stripped",
			container: corev1.Container{Name: "worker", Image: "ghcr.io/x/backfill-operator@sha256:abcd", Args: []string{"worker"}},
			want:      []string{"/repo/bin/backfill-operator", "worker"},
		},
		{
			name:      "exact image with registry port",
			container: corev1.Container{Name: "sh", Image: "registry.local:5000/tools/sh:1", Command: []string{"sh", "-c", "exit 0"}},
			want:      []string{"/bin/sh", "-c", "exit 0"},
		},
		{
			name:      "registry port is not a tag",
			container: corev1.Container{Name: "sh", Image: "registry.local:5000/tools/other", Command: []string{"/other"}},
			wantErr:   `no --map rule for image "registry.local:5000/tools/other"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveArgv(rules, &tc.container)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got %v (argv %v)", tc.wantErr, err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("argv (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMapping(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Mapping
		wantErr bool
	}{
		{in: "backfill-operator=/bin/x", want: Mapping{Name: "backfill-operator", Binary: "/bin/x"}},
		{in: "a=b=c", want: Mapping{Name: "a", Binary: "b=c"}},
		{in: "noequals", wantErr: true},
		{in: "=/bin/x", wantErr: true},
		{in: "name=", wantErr: true},
	} {
		got, err := ParseMapping(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseMapping(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestExpand(t *testing.T) {
	defined := map[string]string{"MONTH": "2020-01", "EMPTY": ""}
	for in, want := range map[string]string{
		"--month=$(MONTH)":    "--month=2020-01",
		"$(UNKNOWN)":          "$(UNKNOWN)",
		"$$(MONTH)":           "$(MONTH)",
		"cost $5":             "cost $5",
		"x$(EMPTY)y":          "xy",
		"unterminated $(MONT": "unterminated $(MONT",
		"trailing $":          "trailing $",
	} {
		if got := expand(in, defined); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResourceField(t *testing.T) {
	container := &corev1.Container{Resources: corev1.ResourceRequirements{
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")},
		Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
	}}
	capacity := corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("8Gi")}
	for _, tc := range []struct {
		ref  corev1.ResourceFieldSelector
		want string
	}{
		{ref: corev1.ResourceFieldSelector{Resource: "limits.cpu"}, want: "2"},
		{ref: corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: resource.MustParse("1m")}, want: "1500"},
		{ref: corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}, want: "8192"},
		{ref: corev1.ResourceFieldSelector{Resource: "requests.memory", Divisor: resource.MustParse("1Mi")}, want: "64"},
	} {
		got, err := resourceField(container, &tc.ref, capacity)
		if err != nil || got != tc.want {
			t.Errorf("resourceField(%s / %s) = %q, %v; want %q", tc.ref.Resource, tc.ref.Divisor.String(), got, err, tc.want)
		}
	}
}

func TestTerminationMessage(t *testing.T) {
	dir := t.TempDir()
	messageFile := filepath.Join(dir, "message")
	logFile := filepath.Join(dir, "log")
	var logLines []string
	for i := range 100 {
		logLines = append(logLines, "line "+strings.Repeat("x", i%3)+string(rune('0'+i%10)))
	}
	if err := os.WriteFile(logFile, []byte(strings.Join(logLines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		message  string
		fallback bool
		exitCode int32
		want     string
	}{
		{name: "file wins", message: "done: 12 books", fallback: true, exitCode: 1, want: "done: 12 books"},
		{name: "no fallback without policy", exitCode: 1, want: ""},
		{name: "no fallback on success", fallback: true, exitCode: 0, want: ""},
		{name: "fallback to the last 80 log lines", fallback: true, exitCode: 2, want: strings.Join(logLines[20:], "\n")},
		{name: "file capped at 4096 bytes", message: strings.Repeat("m", 5000), want: strings.Repeat("m", 4096)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(messageFile, []byte(tc.message), 0o644); err != nil {
				t.Fatal(err)
			}
			if got := terminationMessage(messageFile, logFile, tc.fallback, tc.exitCode); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPodPhaseFor(t *testing.T) {
	for _, tc := range []struct {
		name       string
		containers []containerState
		want       corev1.PodPhase
	}{
		{name: "all exited zero", containers: []containerState{{finished: true}, {finished: true}}, want: corev1.PodSucceeded},
		{name: "one failed", containers: []containerState{{finished: true}, {finished: true, exitCode: 3}}, want: corev1.PodFailed},
		{name: "one never finished", containers: []containerState{{finished: true}, {}}, want: corev1.PodFailed},
	} {
		if got := podPhaseFor(tc.containers); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestValidImageReference(t *testing.T) {
	for image, want := range map[string]bool{
		"backfill-operator:dev":                            true,
		"ghcr.io/ooheynerds/backfill-operator:v0.1.0":      true,
		"registry.local:5000/tools/sh":                     true,
		"localhost/a_b__c-d.e:1.0-rc":                      true,
		"ghcr.io/x/y@sha256:" + strings.Repeat("a", 64):    true,
		"ghcr.io/x/y:v1@sha256:" + strings.Repeat("0", 64): true,
		"":                       false,
		"UPPER":                  false,
		"docker.io/Library/x":    false,
		"a b":                    false,
		"name:":                  false,
		"name:tag:more":          false,
		"ghcr.io/x/y@sha256:abc": false,
		"/leading-slash":         false,
		"trailing/":              false,
		"bad--":                  false,
		strings.Repeat("a", 256): false,
	} {
		if got := validImageReference(image); got != want {
			t.Errorf("validImageReference(%q) = %v, want %v", image, got, want)
		}
	}
}

// The pull back-off alternates ErrImagePull and ImagePullBackOff with waits
// that double, and a known or malformed image never enters it.
func TestPullBackoff(t *testing.T) {
	rules := []Mapping{{Name: "known", Binary: "/bin/true"}}
	var b pullBackoff
	start := time.Unix(1000, 0)
	unknown := &corev1.Container{Image: "example.com/unknown:1"}
	type step struct {
		at     time.Duration
		reason string
	}
	for _, s := range []step{
		{0, ReasonErrImagePull},
		{400 * time.Millisecond, ReasonErrImagePull},
		{600 * time.Millisecond, ReasonImagePullBackOff},
		{1000 * time.Millisecond, ReasonErrImagePull}, // 1s back-off over
		{2000 * time.Millisecond, ReasonImagePullBackOff},
		{3000 * time.Millisecond, ReasonErrImagePull}, // 2s back-off over
		{6000 * time.Millisecond, ReasonImagePullBackOff},
		{7000 * time.Millisecond, ReasonErrImagePull}, // 4s back-off over
	} {
		got := b.check(rules, "uid", unknown, start.Add(s.at))
		if got == nil || got.reason != s.reason || got.retryAfter <= 0 {
			t.Fatalf("at %s: got %+v, want %s", s.at, got, s.reason)
		}
	}
	if got := b.check(rules, "uid", &corev1.Container{Image: "ghcr.io/x/known:v2"}, start); got != nil {
		t.Fatalf("known image: %+v", got)
	}
	if got := b.check(rules, "uid", &corev1.Container{Image: "Bad Name"}, start); got == nil || got.reason != ReasonInvalidImageName {
		t.Fatalf("malformed image: %+v", got)
	}
	never := &corev1.Container{Image: "example.com/absent:1", ImagePullPolicy: corev1.PullNever}
	if got := b.check(rules, "uid2", never, start); got == nil || got.reason != ReasonErrImageNeverPull {
		t.Fatalf("pull policy Never: %+v", got)
	}
	b.forget("uid")
	if got := b.check(rules, "uid", unknown, start.Add(7100*time.Millisecond)); got == nil || got.reason != ReasonErrImagePull {
		t.Fatalf("after forget: %+v", got)
	}
}

func TestLastLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 1, "c\n"},
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc\n", 5, "a\nb\nc\n"},
		{"a\nb\nc", 1, "c"}, // a last line still being written counts
		{"a\nb\n", 0, ""},
		{"", 3, ""},
	} {
		if got := string(lastLines([]byte(tc.in), tc.n)); got != tc.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestWriteLimited(t *testing.T) {
	var out strings.Builder
	limit := int64(5)
	writeLimited(&out, []byte("abc"), &limit)
	writeLimited(&out, []byte("defg"), &limit)
	writeLimited(&out, []byte("h"), &limit)
	if out.String() != "abcde" || limit != 0 {
		t.Fatalf("wrote %q, limit left %d; want abcde and 0", out.String(), limit)
	}
	unlimited := int64(-1)
	out.Reset()
	writeLimited(&out, []byte("xyz"), &unlimited)
	if out.String() != "xyz" || unlimited != -1 {
		t.Fatalf("unlimited: wrote %q, limit %d", out.String(), unlimited)
	}
}
