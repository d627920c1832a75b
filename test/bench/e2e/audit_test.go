package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// managerAgent is the manager's user agent's program name (client-go's default user agent
// starts with the binary's name); the audit log tells clients apart by it, since the local
// system's clients all authenticate as the same admin.
const managerAgent = "backfill-operator"

// auditEvent is the part of an audit.k8s.io/v1 Event the benchmarks read.
type auditEvent struct {
	Stage     string `json:"stage"`
	Verb      string `json:"verb"`
	UserAgent string `json:"userAgent"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	StageTimestamp time.Time `json:"stageTimestamp"`
}

func (e auditEvent) actor() string {
	a, _, _ := strings.Cut(e.UserAgent, "/")
	return a
}

// key is "verb resource[/subresource] code", e.g. "create backfillmonths 201".
func (e auditEvent) key() string {
	res := ""
	if e.ObjectRef != nil {
		res = e.ObjectRef.Resource
		if e.ObjectRef.Subresource != "" {
			res += "/" + e.ObjectRef.Subresource
		}
	}
	code := 0
	if e.ResponseStatus != nil {
		code = e.ResponseStatus.Code
	}
	return fmt.Sprintf("%s %s %d", e.Verb, res, code)
}

func (e auditEvent) write() bool {
	switch e.Verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// auditMark is a position in the audit log.
func auditMark() int64 {
	fi, err := os.Stat(auditLog)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// auditEvents reads the completed requests logged between two marks (to the end when to < 0).
func auditEvents(from, to int64) ([]auditEvent, error) {
	f, err := os.Open(auditLog)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil, err
	}
	var r io.Reader = f
	if to >= 0 {
		r = io.LimitReader(f, to-from)
	}
	var out []auditEvent
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e auditEvent
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Stage != "ResponseComplete" {
			continue
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// tally counts one actor's requests by key; watches are left out (long-running).
type tally struct {
	byKey         map[string]int
	writes, gets  int
	events, total int
}

func count(events []auditEvent, actor string) tally {
	t := tally{byKey: map[string]int{}}
	for _, e := range events {
		if e.actor() != actor || e.Verb == "watch" {
			continue
		}
		t.byKey[e.key()]++
		t.total++
		if e.write() {
			t.writes++
			if e.ObjectRef != nil && e.ObjectRef.Resource == "events" {
				t.events++
			}
		}
		if e.Verb == "get" {
			t.gets++
		}
	}
	return t
}

func (t tally) String() string {
	keys := make([]string, 0, len(t.byKey))
	for k := range t.byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, t.byKey[k])
	}
	return strings.TrimSpace(b.String())
}

// waitManagerIdle waits until the manager has sent no request (watches aside) for quiet.
func waitManagerIdle(quiet, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		from := auditMark()
		time.Sleep(quiet)
		evs, err := auditEvents(from, -1)
		if err != nil {
			return err
		}
		if count(evs, managerAgent).total == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the manager was still busy after %s", limit)
		}
	}
}
