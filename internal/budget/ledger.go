package budget

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ooheynerds/backfill-operator/internal/aggregate"
)

// holdTimeout drops a hold whose month the cache never shows changed (it was deleted meanwhile
// and its delete event was missed). Real time: it bounds a cache's lag, not the budget's day.
const holdTimeout = time.Minute

// unknownWant is the want of a campaign on the key whose pass has not run since the manager
// started: the most months a campaign can hold at once (the API's largest maxConcurrent).
const unknownWant = 100

// Member is one campaign on a key as the informer cache shows it now.
type Member struct {
	Campaign string
	Priority int32
	// Paid is the campaign's use of the paid source today, from its months' status.
	Paid aggregate.Paid
	// Versions maps each of the campaign's months to its cached resourceVersion.
	Versions map[string]string
}

// Usage is one campaign's share of the key's day.
type Usage struct {
	Campaign                     string
	Priority                     int32
	Used, Reserved               int64
	StartedToday, Started, Holds int
}

// View is a key's day: what was spent, what is reserved, and whether the provider paused it.
type View struct {
	// Limit is the key's daily limit; 0 is none.
	Limit int64
	// Used is the calls of the attempts finished today, of every campaign on the key.
	Used int64
	// Reserved is the estimate of every month in flight, including admissions granted but not
	// yet in the cache.
	Reserved int64
	// PausedUntil is the latest quota reset any campaign on the key reported waiting for.
	PausedUntil *time.Time
	// Campaigns are the key's campaigns by name.
	Campaigns []Usage
}

// Free is what remains of the day's limit (negative when overspent; meaningless without a limit).
func (v View) Free() int64 { return v.Limit - v.Used - v.Reserved }

// Hold is a month a pass chose to admit: its reservation is held from the decision until the
// cache shows the month changed from Version (the version the admission was written over).
type Hold struct {
	Month, Version string
	Estimate       int64
}

// Request is one campaign pass's ask of its key.
type Request struct {
	Campaign string
	// Want is how many months the campaign would start now, its own limits applied.
	Want int
	// Limit is the key's daily limit (0: none).
	Limit int64
	// Members are every campaign on the key, the requester included.
	Members []Member
}

// Grant is the ledger's answer to a Request.
type Grant struct {
	// Months is how many months the requester may start now.
	Months int
	// Ahead are the campaigns served before the requester while it waits.
	Ahead []string
	// Wake are the other campaigns the budget now has room for: their passes should run.
	Wake []string
	// View is the key's day after the requester's holds.
	View View
}

// Ledger serializes budget decisions per key inside one manager (the leader). Everything it
// counts is derived from the months' durable status on each decision; the only state it keeps
// is what the cache cannot show yet: the holds of admissions it granted, and each campaign's
// latest want. A restarted manager starts empty and counts exactly from the months.
type Ledger struct {
	mu   sync.Mutex
	keys map[Key]*keyLedger
}

type keyLedger struct {
	mu    sync.Mutex
	wants map[string]int
	holds map[string]hold // by month name (month names are unique in the key's namespace)
}

type hold struct {
	campaign, version string
	estimate          int64
	since             time.Time
}

func (l *Ledger) key(k Key) *keyLedger {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.keys == nil {
		l.keys = map[Key]*keyLedger{}
	}
	kl := l.keys[k]
	if kl == nil {
		kl = &keyLedger{wants: map[string]int{}, holds: map[string]hold{}}
		l.keys[k] = kl
	}
	return kl
}

// Admit decides, alone on the key, how many months the requester may start: it counts the
// key's day from the members and the holds not yet in the cache, records the requester's want,
// allocates the free calls among all wants, and lets pick choose at most the granted months,
// whose reservations it holds until Release or the cache shows them.
func (l *Ledger) Admit(k Key, req Request, pick func(grant int) []Hold) Grant {
	kl := l.key(k)
	kl.mu.Lock()
	defer kl.mu.Unlock()
	view := kl.view(req.Limit, req.Members)
	kl.wants[req.Campaign] = req.Want
	for c := range kl.wants { // campaigns that left the key
		if !slices.ContainsFunc(req.Members, func(m Member) bool { return m.Campaign == c }) {
			delete(kl.wants, c)
		}
	}
	claims := make([]Claim, 0, len(req.Members))
	for i, m := range req.Members {
		want, known := kl.wants[m.Campaign]
		if !known {
			// not decided since this manager started (or since it joined the key): it may want
			// as many months as a campaign can hold, so it keeps its place in the queue until
			// its own pass says what it wants
			want = unknownWant
		}
		u := view.Campaigns[i]
		claims = append(claims, Claim{Campaign: m.Campaign, Priority: m.Priority, StartedToday: u.StartedToday, Started: u.Started,
			Estimate: m.Paid.PerMonth, Want: want})
	}
	grants := Allocate(view.Free(), req.Limit == 0, claims)
	g := Grant{Months: grants[req.Campaign]}
	held := pick(g.Months)
	now := time.Now()
	for _, h := range held {
		kl.holds[h.Month] = hold{campaign: req.Campaign, version: h.Version, estimate: h.Estimate, since: now}
		view.Reserved += h.Estimate
		addHold(&view, req.Campaign, h.Estimate)
	}
	kl.wants[req.Campaign] = max(req.Want-len(held), 0)
	for _, c := range claims {
		if c.Campaign == req.Campaign || req.Limit == 0 {
			continue // without a limit, nobody waits for anybody
		}
		if grants[c.Campaign] > 0 {
			g.Wake = append(g.Wake, c.Campaign)
		}
	}
	if g.Months < req.Want {
		me := claims[slices.IndexFunc(claims, func(c Claim) bool { return c.Campaign == req.Campaign })]
		for _, c := range claims {
			if c.Campaign != req.Campaign && c.Want > 0 && ahead(c, me, nil) {
				g.Ahead = append(g.Ahead, c.Campaign)
			}
		}
	}
	g.View = view
	return g
}

// View is the key's day without deciding anything (for status).
func (l *Ledger) View(k Key, limit int64, members []Member) View {
	kl := l.key(k)
	kl.mu.Lock()
	defer kl.mu.Unlock()
	return kl.view(limit, members)
}

// Idle records that a campaign wants nothing (it is being deleted, or cannot be interpreted),
// so that it does not keep a place in the key's queue.
func (l *Ledger) Idle(k Key, campaign string) {
	kl := l.key(k)
	kl.mu.Lock()
	defer kl.mu.Unlock()
	kl.wants[campaign] = 0
}

// Release drops the hold of a month whose admission was not written.
func (l *Ledger) Release(k Key, month string) {
	kl := l.key(k)
	kl.mu.Lock()
	defer kl.mu.Unlock()
	delete(kl.holds, month)
}

// view counts the key's day from the members' months and the holds the cache does not show
// yet. A hold is dropped once its month's cached version differs from the one the admission
// was written over: every later version contains the admission, which the months then count.
func (kl *keyLedger) view(limit int64, members []Member) View {
	v := View{Limit: limit, Campaigns: make([]Usage, len(members))}
	index := make(map[string]int, len(members))
	for i, m := range members {
		index[m.Campaign] = i
		v.Used += m.Paid.Used
		v.Reserved += m.Paid.Reserved()
		if p := m.Paid.PausedUntil; p != nil && (v.PausedUntil == nil || p.After(*v.PausedUntil)) {
			v.PausedUntil = p
		}
		v.Campaigns[i] = Usage{Campaign: m.Campaign, Priority: m.Priority, Used: m.Paid.Used, Reserved: m.Paid.Reserved(),
			StartedToday: m.Paid.StartedToday, Started: m.Paid.Started}
	}
	now := time.Now()
	for month, h := range kl.holds {
		i, ok := index[h.campaign]
		if !ok || now.Sub(h.since) > holdTimeout {
			delete(kl.holds, month)
			continue
		}
		if cached, ok := members[i].Versions[month]; !ok || cached != h.version {
			delete(kl.holds, month) // the cache shows the admission (or the month is gone)
			continue
		}
		v.Reserved += h.estimate
		addHold(&v, h.campaign, h.estimate)
	}
	return v
}

func addHold(v *View, campaign string, estimate int64) {
	for i := range v.Campaigns {
		if v.Campaigns[i].Campaign == campaign {
			v.Campaigns[i].Reserved += estimate
			v.Campaigns[i].StartedToday++
			v.Campaigns[i].Started++
			v.Campaigns[i].Holds++
			return
		}
	}
}

// Names joins campaign names for a message, at most n of them.
func Names(campaigns []string, n int) string {
	if len(campaigns) > n {
		return strings.Join(campaigns[:n], ", ") + ", …"
	}
	return strings.Join(campaigns, ", ")
}
