package podrunner

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Waiting reasons of a kubelet's image manager, with the same meaning: the
// runner "has" an image exactly when a --map rule names it.
const (
	// ReasonErrImagePull: the pull was just tried and failed.
	ReasonErrImagePull = "ErrImagePull"
	// ReasonImagePullBackOff: a pull failed and the next try waits for a back-off.
	ReasonImagePullBackOff = "ImagePullBackOff"
	// ReasonInvalidImageName: the reference cannot be parsed; no pull is tried.
	ReasonInvalidImageName = "InvalidImageName"
	// ReasonErrImageNeverPull: imagePullPolicy Never and the image is not present.
	ReasonErrImageNeverPull = "ErrImageNeverPull"
)

// Image reference grammar (the distribution project's, which the kubelet
// applies before any pull): an optional registry host, lower-case path
// components joined by separators, an optional tag and an optional digest.
var imageReference = func() *regexp.Regexp {
	const (
		hostLabel = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
		host      = `(?:` + hostLabel + `(?:\.` + hostLabel + `)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?`
		component = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
		name      = `(?:` + host + `/)?` + component + `(?:/` + component + `)*`
		tag       = `[\w][\w.-]{0,127}`
		digest    = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
	)
	return regexp.MustCompile(`^` + name + `(?::` + tag + `)?(?:@` + digest + `)?$`)
}()

// validImageReference reports whether the kubelet would try to pull image at
// all. A repository name longer than 255 characters is refused as well.
func validImageReference(image string) bool {
	if !imageReference.MatchString(image) {
		return false
	}
	repository := image
	if at := strings.Index(repository, "@"); at >= 0 {
		repository = repository[:at]
	}
	if colon := strings.LastIndex(repository, ":"); colon > strings.LastIndex(repository, "/") {
		repository = repository[:colon]
	}
	return len(repository) <= 255
}

// imageProblem is why a container's image cannot be used: the waiting reason
// and message a kubelet would show, and when to look again.
type imageProblem struct {
	reason, message string
	retryAfter      time.Duration
}

// pullBackoff remembers failed pulls per pod and image, doubling the wait
// between tries like the kubelet's image back-off (shorter: 1s up to 1 min,
// so local tests see several tries).
type pullBackoff struct {
	mu    sync.Mutex
	tries map[pullKey]*pullTry
}

type pullKey struct {
	uid   types.UID
	image string
}

type pullTry struct {
	failures int
	failedAt time.Time
	next     time.Time
	message  string
}

const (
	pullBackoffInitial = time.Second
	pullBackoffMax     = time.Minute
	// invalidNameRetry: a bad reference does not fix itself, but the pod's
	// image can be edited, which requeues the pod anyway.
	invalidNameRetry = time.Minute
	// errImagePullShown is how long a failed pull is reported as ErrImagePull
	// before the back-off (ImagePullBackOff) is, as the kubelet shows it for
	// one sync.
	errImagePullShown = 500 * time.Millisecond
)

// check decides what a kubelet would report for container's image at now, or
// nil when a --map rule names it and the container can start.
func (b *pullBackoff) check(rules []Mapping, uid types.UID, container *corev1.Container, now time.Time) *imageProblem {
	image := container.Image
	if !validImageReference(image) {
		return &imageProblem{reason: ReasonInvalidImageName, retryAfter: invalidNameRetry,
			message: fmt.Sprintf("Failed to apply default image tag %q: couldn't parse image name %q: invalid reference format", image, image)}
	}
	if _, ok := binaryFor(rules, image); ok {
		return nil
	}
	if container.ImagePullPolicy == corev1.PullNever {
		return &imageProblem{reason: ReasonErrImageNeverPull, retryAfter: invalidNameRetry,
			message: fmt.Sprintf("Container image %q is not present with pull policy of Never", image)}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tries == nil {
		b.tries = map[pullKey]*pullTry{}
	}
	key := pullKey{uid: uid, image: image}
	try := b.tries[key]
	if try != nil && now.Sub(try.failedAt) < errImagePullShown {
		// A fresh failure stays visible a moment before the back-off shows.
		return &imageProblem{reason: ReasonErrImagePull, retryAfter: errImagePullShown - now.Sub(try.failedAt),
			message: try.message}
	}
	if try != nil && now.Before(try.next) {
		return &imageProblem{reason: ReasonImagePullBackOff, retryAfter: try.next.Sub(now),
			message: fmt.Sprintf("Back-off pulling image %q", image)}
	}
	if try == nil {
		try = &pullTry{}
		b.tries[key] = try
	}
	try.failures++
	try.failedAt = now
	try.next = now.Add(min(pullBackoffInitial<<min(try.failures-1, 10), pullBackoffMax))
	try.message = fmt.Sprintf("Failed to pull image %q: %s", image, (&unmappedError{image: image, rules: rules}).Error())
	return &imageProblem{reason: ReasonErrImagePull, retryAfter: errImagePullShown, message: try.message}
}

// forget drops the back-off of a pod that is gone or started.
func (b *pullBackoff) forget(uid types.UID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for key := range b.tries {
		if key.uid == uid {
			delete(b.tries, key)
		}
	}
}
