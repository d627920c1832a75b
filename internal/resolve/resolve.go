// Package resolve finds verified ISBN-13s for generated books through an ordered chain of
// bibliographic sources (ISBNdb, Google Books, Open Library, Library of Congress, Wikidata,
// Internet Archive), consulting the PostgreSQL resolution cache first.
//
// Unlike the system it replaces, it never accepts a search hit blindly: every candidate must match
// the book's normalised title and author above thresholds, carry a checksum-valid ISBN and, when
// both sides know it, the book's publication year. It counts every HTTP request per source, stops
// calling a source whose quota is spent, and spends the paid source (ISBNdb) frugally: by default
// the free sources gather candidates, one ISBNdb batch call confirms them, and ISBNdb searches
// only for the books nothing else found.
package resolve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ooheynerds/backfill-operator/api/v1alpha1"
	"github.com/ooheynerds/backfill-operator/internal/textmatch"
)

// Source names, as used in SourceConfig.Name, Report.Calls and Resolution.Source: the API's
// names, so a campaign's resolver.sources, the attempt's calls and the mirror agree.
const (
	SourceISBNdb      = string(v1alpha1.SourceISBNdb)
	SourceGoogleBooks = string(v1alpha1.SourceGoogleBooks)
	SourceOpenLibrary = string(v1alpha1.SourceOpenLibrary)
	SourceLOC         = string(v1alpha1.SourceLOC)
	SourceWikidata    = string(v1alpha1.SourceWikidata)
	SourceArchive     = string(v1alpha1.SourceArchive)
)

// Strategy says how the chain spends its sources.
type Strategy string

const (
	// StrategyFrugal asks the free sources first (in the configured order, per book, until one
	// gives an edition-level match), confirms all their candidates with one ISBNdb batch call
	// (POST /books, up to BatchSize ISBNs per call) and searches ISBNdb only for books still
	// unresolved. ISBNdb's place in Sources still ranks its answers against the others.
	StrategyFrugal Strategy = "Frugal"
	// StrategyOrdered walks the sources in the configured order for every book and stops at the
	// first source with an edition-level match, like the original cascade but with verification.
	StrategyOrdered Strategy = "Ordered"
)

// Query is one generated book to resolve.
type Query struct {
	Title, Author string
	Year          int // publication year; 0 when unknown
	// Format is the edition format the model stated ("Hardcover", "Paperback", "eBook",
	// "Audiobook"; anything else counts as unknown). It breaks ties between editions of the
	// same year that sources describe with a binding.
	Format string
}

// Resolution is the answer for one Query.
type Resolution struct {
	Query  Query
	Key    textmatch.Key
	ISBN13 string // "" when not resolved
	Source string // which source's candidate was accepted ("" when not resolved)
	Cached bool   // answered by the cache, no calls made
	// Incomplete is set on a miss when a source could not answer (quota spent, errors), so the
	// miss is not a trustworthy negative answer and is not cached.
	Incomplete bool
	// Agreeing lists the sources whose candidates had the accepted ISBN.
	Agreeing []string
	// Ambiguous is set on a miss whose verified candidates no signal could tell apart.
	Ambiguous bool
}

// SetAside is a source the attempt stopped calling because it kept answering with something
// other than its API's answers (HTML pages, diagnostics, bodies that do not decode, oversized
// bodies) or kept failing; the books it was not asked about count as Incomplete misses.
type SetAside struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
}

// Report tells what an attempt cost.
type Report struct {
	Calls          map[string]int // real HTTP requests per source name, failures and retries included
	QuotaExhausted []string       // sources that reported their quota exhausted during this attempt
	Failures       map[string]int // requests per source that failed for good (after retries)
	// SetAside lists the sources set aside for the rest of the attempt, in the order it
	// happened, with the reason (see Config.SetAsideAfter).
	SetAside []SetAside
}

// SourceConfig configures one source of the chain.
type SourceConfig struct {
	Name          string        // one of the Source* constants
	BaseURL       string        // default: the real host (see DefaultSourceConfig)
	APIKey        string        // ISBNdb (required) and Google Books (optional); never logged
	RatePerSecond float64       // requests per second; <= 0 means unlimited
	Burst         int           // limiter burst; default 1
	Timeout       time.Duration // per HTTP request
	BatchSize     int           // ISBNdb: ISBNs per POST /books (plan: Basic 100, Premium/Pro 1000)
	MaxInFlight   int           // concurrent requests to this source; Wikidata asks for one at a time
	MaxResults    int           // hits asked for per search
	// Country is Google Books' ISO 3166-1 country; the service answers 403 unknownLocation to
	// hosts it cannot place (cloud and cluster egress) when none is sent.
	Country string
}

// DefaultGoogleBooksCountry is sent when none is configured: the catalogue the worker fills is
// of US first editions, and "US" is the country Google Books serves most volume data for.
const DefaultGoogleBooksCountry = "US"

// Config configures a Resolver.
type Config struct {
	Sources         []SourceConfig // order = preference (and, in StrategyOrdered, the order tried)
	Strategy        Strategy
	TitleThreshold  float64 // minimum textmatch.TitleSimilarity to accept a candidate
	AuthorThreshold float64 // minimum textmatch.AuthorSimilarity to accept a candidate
	// YearTolerance is how far a candidate's publication year may be from the query's when both
	// are known. An ISBN names an edition: a reprint a year later is another edition's ISBN.
	YearTolerance int
	// SearchISBNdbWhenUnresolved lets StrategyFrugal spend an ISBNdb search on a book the free
	// sources could not resolve.
	SearchISBNdbWhenUnresolved bool
	// ISBNdbSearchShare bounds those searches to this many per book of the attempt (0.2: 8
	// searches for 40 books), because most books the free sources miss are invented titles or
	// too recent for any catalogue, and an ISBNdb search would be spent for nothing. Books whose
	// free lookups failed (errors, spent quotas) are searched regardless: the paid source is then
	// the fallback that keeps the resolution rate. The rest are chosen by evidence: a matching
	// title somewhere first, then the order of the queries (models list notable books first).
	// A negative value removes the bound.
	ISBNdbSearchShare float64
	// ConfirmWithISBNdb lets StrategyFrugal send the free sources' candidates to ISBNdb's batch
	// lookup (one call per BatchSize ISBNs) to learn their editions and gain agreement.
	ConfirmWithISBNdb bool
	// EditionLookups is how many of a work's ISBNs Open Library is asked about (one free
	// /isbn/{isbn}.json call each) for a book whose candidates are only work-level and disagree,
	// so that the edition of the book's year is chosen rather than any edition of the work.
	EditionLookups   int
	Concurrency      int           // books resolved at once
	NegativeCacheTTL time.Duration // a cached miss younger than this is trusted
	// SetAsideAfter is how many bad answers in a row (an HTML page or diagnostic with status 200,
	// a body that does not decode or is over the size bound, a request failed for good) set a
	// source aside for the rest of the attempt, so that it is not retried for every book. Any
	// good answer starts the count again. 0 means the default (DefaultSetAsideAfter).
	SetAsideAfter int
	Retry         RetryPolicy
	UserAgent     string // identifies the app, as Open Library and Wikidata ask
	Now           func() time.Time
}

// DefaultSourceConfig returns the defaults for a source: its real host and the rate the provider
// allows (ISBNdb Premium 3/s, Google Books 1/s, Open Library 1/s, LoC 1/s, Wikidata 2/s, Archive 1/s).
func DefaultSourceConfig(name string) (SourceConfig, error) {
	c := SourceConfig{Name: name, Burst: 1, Timeout: 15 * time.Second, MaxInFlight: 4, MaxResults: 20}
	switch name {
	case SourceISBNdb:
		c.BaseURL, c.RatePerSecond, c.BatchSize = "https://api.premium.isbndb.com", 3, 1000
	case SourceGoogleBooks:
		c.BaseURL, c.RatePerSecond, c.MaxResults, c.Country = "https://www.googleapis.com/books/v1", 1, 20, DefaultGoogleBooksCountry
	case SourceOpenLibrary:
		c.BaseURL, c.RatePerSecond, c.MaxResults = "https://openlibrary.org", 1, 10
	case SourceLOC:
		c.BaseURL, c.RatePerSecond, c.MaxResults = "http://lx2.loc.gov:210/lcdb", 1, 10
	case SourceWikidata:
		c.BaseURL, c.RatePerSecond, c.MaxInFlight, c.Timeout = "https://query.wikidata.org/sparql", 2, 1, 65*time.Second
	case SourceArchive:
		c.BaseURL, c.RatePerSecond, c.MaxResults = "https://archive.org", 1, 20
	default:
		return SourceConfig{}, fmt.Errorf("unknown source %q", name)
	}
	return c, nil
}

// DefaultSetAsideAfter is Config.SetAsideAfter's default: few enough that a source answering a
// portal page costs a handful of requests, not one per book, and enough that a burst of cut
// bodies from a source that is otherwise fine does not lose it.
const DefaultSetAsideAfter = 5

// DefaultConfig is the full chain with the frugal strategy: ISBNdb, Google Books, Open Library,
// Library of Congress, Wikidata, Internet Archive.
func DefaultConfig() Config {
	var sources []SourceConfig
	for _, n := range []string{SourceISBNdb, SourceGoogleBooks, SourceOpenLibrary, SourceLOC, SourceWikidata, SourceArchive} {
		c, _ := DefaultSourceConfig(n)
		sources = append(sources, c)
	}
	return Config{
		Sources:                    sources,
		Strategy:                   StrategyFrugal,
		TitleThreshold:             0.85,
		AuthorThreshold:            0.7,
		YearTolerance:              0,
		SearchISBNdbWhenUnresolved: true,
		ISBNdbSearchShare:          0.2,
		ConfirmWithISBNdb:          true,
		EditionLookups:             4,
		Concurrency:                8,
		NegativeCacheTTL:           30 * 24 * time.Hour,
		SetAsideAfter:              DefaultSetAsideAfter,
		Retry:                      RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 8 * time.Second, MaxWait: 60 * time.Second},
		UserAgent:                  "backfill-operator/1.0 (+https://github.com/ooheynerds/backfill-operator)",
	}
}

// searcher is a source that finds candidates for a title and author.
type searcher interface {
	search(ctx context.Context, st *attemptState, q Query) ([]candidate, error)
}

// batchLookup is a source that describes many ISBNs in one call (ISBNdb POST /books).
type batchLookup interface {
	lookup(ctx context.Context, st *attemptState, isbns []string) ([]candidate, error)
}

type source struct {
	name string
	ep   *endpoint
	searcher
}

// Resolver resolves books through the configured chain. It is safe for concurrent use; its rate
// limiters are shared by every Resolve call made with it.
type Resolver struct {
	cfg     Config
	sources []source // in preference order
	rank    map[string]int
	sleep   func(ctx context.Context, d time.Duration) error
}

// New builds a Resolver. httpClient may be nil (http.DefaultClient's transport is then used).
func New(cfg Config, httpClient *http.Client) (*Resolver, error) {
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Strategy == "" {
		cfg.Strategy = StrategyFrugal
	}
	if cfg.Strategy != StrategyFrugal && cfg.Strategy != StrategyOrdered {
		return nil, fmt.Errorf("unknown resolution strategy %q (want %s or %s)", cfg.Strategy, StrategyFrugal, StrategyOrdered)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.Retry.MaxAttempts <= 0 {
		cfg.Retry.MaxAttempts = 1
	}
	if cfg.SetAsideAfter <= 0 {
		cfg.SetAsideAfter = DefaultSetAsideAfter
	}
	if cfg.TitleThreshold <= 0 || cfg.TitleThreshold > 1 || cfg.AuthorThreshold <= 0 || cfg.AuthorThreshold > 1 {
		return nil, fmt.Errorf("similarity thresholds must be in (0, 1], got title %v author %v", cfg.TitleThreshold, cfg.AuthorThreshold)
	}
	r := &Resolver{cfg: cfg, rank: map[string]int{}, sleep: sleepContext}
	for i, sc := range cfg.Sources {
		if _, dup := r.rank[sc.Name]; dup {
			return nil, fmt.Errorf("source %q listed twice", sc.Name)
		}
		def, err := DefaultSourceConfig(sc.Name)
		if err != nil {
			return nil, err
		}
		sc = withDefaults(sc, def)
		if sc.Name == SourceISBNdb && sc.APIKey == "" {
			return nil, errors.New("source isbndb needs an API key")
		}
		limit := rate.Inf
		if sc.RatePerSecond > 0 {
			limit = rate.Limit(sc.RatePerSecond)
		}
		ep := &endpoint{
			name: sc.Name, cfg: sc, client: httpClient, limiter: rate.NewLimiter(limit, sc.Burst),
			inflight: make(chan struct{}, sc.MaxInFlight), classify: defaultClassify, userAgent: cfg.UserAgent,
			retry: cfg.Retry, now: cfg.Now,
			sleep: func(ctx context.Context, d time.Duration) error { return r.sleep(ctx, d) },
		}
		var s searcher
		switch sc.Name {
		case SourceISBNdb:
			s = newISBNdb(ep)
		case SourceGoogleBooks:
			s = newGoogleBooks(ep)
		case SourceOpenLibrary:
			s = newOpenLibrary(ep)
		case SourceLOC:
			s = newLOC(ep)
		case SourceWikidata:
			s = newWikidata(ep)
		case SourceArchive:
			s = newArchive(ep)
		}
		r.rank[sc.Name] = i
		r.sources = append(r.sources, source{name: sc.Name, ep: ep, searcher: s})
	}
	if len(r.sources) == 0 {
		return nil, errors.New("no sources configured")
	}
	return r, nil
}

func withDefaults(sc, def SourceConfig) SourceConfig {
	if sc.BaseURL == "" {
		sc.BaseURL = def.BaseURL
	}
	if sc.RatePerSecond == 0 {
		sc.RatePerSecond = def.RatePerSecond
	}
	if sc.Burst <= 0 {
		sc.Burst = def.Burst
	}
	if sc.Timeout <= 0 {
		sc.Timeout = def.Timeout
	}
	if sc.BatchSize <= 0 {
		sc.BatchSize = def.BatchSize
	}
	if sc.MaxInFlight <= 0 {
		sc.MaxInFlight = def.MaxInFlight
	}
	if sc.MaxResults <= 0 {
		sc.MaxResults = def.MaxResults
	}
	if sc.Country == "" {
		sc.Country = def.Country
	}
	return sc
}

// bookState gathers what the chain learns about one distinct book.
type bookState struct {
	query      Query
	key        textmatch.Key
	cands      []candidate
	incomplete bool
	result     choice
	resolved   bool
}

// Resolve finds ISBN-13s for queries. Books whose CacheKey the cache knows cost no calls (a
// cached miss counts only while younger than NegativeCacheTTL). Queries with the same CacheKey
// are resolved once. The error is returned only when the cache cannot be read or ctx ends; source failures
// leave books unresolved and show in the Report.
func (r *Resolver) Resolve(ctx context.Context, queries []Query, cache Cache) ([]Resolution, Report, error) {
	st := newAttemptState(r.cfg.SetAsideAfter)
	out := make([]Resolution, len(queries))
	ckeys := make([]CacheKey, len(queries))
	keys := make([]CacheKey, 0, len(queries))
	for i, q := range queries {
		ckeys[i] = CacheKeyOf(q)
		out[i] = Resolution{Query: q, Key: ckeys[i].Key}
		if !slices.Contains(keys, ckeys[i]) {
			keys = append(keys, ckeys[i])
		}
	}
	cached := map[CacheKey]CacheEntry{}
	if cache != nil && len(keys) > 0 {
		var err error
		if cached, err = cache.Lookup(ctx, keys); err != nil {
			return nil, r.report(st), fmt.Errorf("reading the resolution cache: %w", err)
		}
	}
	now := r.cfg.Now()
	// Queries of one book and one edition are resolved once; the same book asked for with
	// another year is another edition and is verified on its own.
	books := map[CacheKey]*bookState{}
	var todo []*bookState
	for i, q := range queries {
		k := ckeys[i]
		if e, ok := cached[k]; ok && (e.ISBN13 != "" || now.Sub(e.ResolvedAt) < r.cfg.NegativeCacheTTL) {
			out[i].ISBN13, out[i].Source, out[i].Cached = e.ISBN13, e.Source, true
			continue
		}
		if k.Title == "" {
			continue // nothing to search for
		}
		if books[k] == nil {
			books[k] = &bookState{query: q, key: k.Key}
			todo = append(todo, books[k])
		}
	}
	if len(todo) > 0 {
		var err error
		switch r.cfg.Strategy {
		case StrategyOrdered:
			err = r.resolveOrdered(ctx, st, todo)
		default:
			err = r.resolveFrugal(ctx, st, todo)
		}
		if err != nil {
			return nil, r.report(st), err
		}
	}
	for i := range out {
		b := books[ckeys[i]]
		if b == nil || out[i].Cached {
			continue
		}
		if b.resolved {
			out[i].ISBN13, out[i].Source, out[i].Agreeing = b.result.isbn13, b.result.source, b.result.agreeing
		} else {
			out[i].Incomplete, out[i].Ambiguous = b.incomplete, b.result.ambiguous
		}
	}
	return out, r.report(st), nil
}

func (r *Resolver) report(st *attemptState) Report {
	st.mu.Lock()
	defer st.mu.Unlock()
	rep := Report{Calls: map[string]int{}, Failures: map[string]int{}, QuotaExhausted: slices.Clone(st.order)}
	for _, s := range st.asideOrder {
		rep.SetAside = append(rep.SetAside, SetAside{Source: s, Reason: st.setAside[s]})
	}
	for _, s := range r.sources {
		rep.Calls[s.name] = st.calls[s.name]
		if n := st.failures[s.name]; n > 0 {
			rep.Failures[s.name] = n
		}
	}
	return rep
}

// forEach runs fn for every book with at most Concurrency at once and returns ctx's error if it
// ended.
func (r *Resolver) forEach(ctx context.Context, books []*bookState, fn func(b *bookState)) error {
	sem := make(chan struct{}, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for _, b := range books {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(b)
		})
	}
	wg.Wait()
	return ctx.Err()
}

// ask runs one source's search for a book and records the outcome on it.
func (r *Resolver) ask(ctx context.Context, st *attemptState, s source, b *bookState) {
	if st.unavailable(s.name) != nil {
		b.incomplete = true
		return
	}
	cands, err := s.search(ctx, st, b.query)
	if err != nil {
		b.incomplete = true
		return
	}
	b.cands = append(b.cands, cands...)
}

// resolveOrdered walks the chain in order for each book and stops at the first edition-level match.
func (r *Resolver) resolveOrdered(ctx context.Context, st *attemptState, books []*bookState) error {
	return r.forEach(ctx, books, func(b *bookState) {
		for _, s := range r.sources {
			r.ask(ctx, st, s, b)
			if c, ok := r.choose(b.query, b.cands); ok && c.strong {
				break
			}
		}
		r.pinEdition(ctx, st, b)
		b.result, b.resolved = r.choose(b.query, b.cands)
	})
}

// resolveFrugal: free sources per book until an edition-level match; one ISBNdb batch to confirm
// all candidates; an ISBNdb search for each book still unresolved.
func (r *Resolver) resolveFrugal(ctx context.Context, st *attemptState, books []*bookState) error {
	var paid *source
	for i := range r.sources {
		if r.sources[i].name == SourceISBNdb {
			paid = &r.sources[i]
		}
	}
	err := r.forEach(ctx, books, func(b *bookState) {
		for _, s := range r.sources {
			if s.name == SourceISBNdb {
				continue
			}
			r.ask(ctx, st, s, b)
			if c, ok := r.choose(b.query, b.cands); ok && c.strong {
				break
			}
		}
	})
	if err != nil {
		return err
	}
	if paid != nil && r.cfg.ConfirmWithISBNdb {
		if err := r.confirm(ctx, st, *paid, books); err != nil {
			return err
		}
	}
	if err := r.forEach(ctx, books, func(b *bookState) { r.pinEdition(ctx, st, b) }); err != nil {
		return err
	}
	var unresolved []*bookState
	for _, b := range books {
		b.result, b.resolved = r.choose(b.query, b.cands)
		if !b.resolved {
			unresolved = append(unresolved, b)
		}
	}
	if paid == nil || !r.cfg.SearchISBNdbWhenUnresolved || len(unresolved) == 0 {
		return nil
	}
	return r.forEach(ctx, r.worthSearching(unresolved, len(books)), func(b *bookState) {
		r.ask(ctx, st, *paid, b)
		b.result, b.resolved = r.choose(b.query, b.cands)
	})
}

// confirm sends every verified candidate ISBN to ISBNdb's batch lookup and adds ISBNdb's
// edition-level records as candidates of the books that proposed them.
func (r *Resolver) confirm(ctx context.Context, st *attemptState, paid source, books []*bookState) error {
	bl, ok := paid.searcher.(batchLookup)
	if !ok {
		return nil
	}
	owners := map[string][]*bookState{}
	var isbns []string
	for _, b := range books {
		for _, c := range b.cands {
			if !r.verified(b.query, c) || c.source == SourceISBNdb {
				continue
			}
			if !slices.Contains(owners[c.isbn13], b) {
				owners[c.isbn13] = append(owners[c.isbn13], b)
			}
			if !slices.Contains(isbns, c.isbn13) {
				isbns = append(isbns, c.isbn13)
			}
		}
	}
	size := max(1, paid.ep.cfg.BatchSize)
	for chunk := range slices.Chunk(isbns, size) {
		if st.unavailable(paid.name) != nil {
			break
		}
		found, err := bl.lookup(ctx, st, chunk)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		for _, c := range found {
			for _, b := range owners[c.isbn13] {
				b.cands = append(b.cands, c)
			}
		}
	}
	return nil
}

// worthSearching picks the unresolved books that get an ISBNdb search (see ISBNdbSearchShare).
func (r *Resolver) worthSearching(unresolved []*bookState, total int) []*bookState {
	if r.cfg.ISBNdbSearchShare < 0 {
		return unresolved
	}
	budget := int(math.Round(r.cfg.ISBNdbSearchShare * float64(total)))
	var must, rest []*bookState
	for _, b := range unresolved {
		if b.incomplete {
			must = append(must, b)
		} else {
			rest = append(rest, b)
		}
	}
	evidence := func(b *bookState) float64 {
		best := 0.0
		for _, c := range b.cands {
			best = max(best, textmatch.TitleSimilarity(b.query.Title, c.title))
		}
		if best >= r.cfg.TitleThreshold {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(rest, func(a, b *bookState) int { return cmp.Compare(evidence(b), evidence(a)) })
	return append(must, rest[:min(len(rest), max(0, budget-len(must)))]...)
}

// pinEdition resolves the ambiguity of work-level candidates: when a book's best answer is an
// ISBN known only as "one of the work's editions" and the work has several, Open Library's
// edition records tell which edition belongs to the book's year.
func (r *Resolver) pinEdition(ctx context.Context, st *attemptState, b *bookState) {
	if r.cfg.EditionLookups <= 0 || b.query.Year == 0 {
		return
	}
	// Work-level candidates that tie (ambiguous) are exactly what an edition lookup settles.
	if c, ok := r.choose(b.query, b.cands); (!ok && !c.ambiguous) || c.strong {
		return
	}
	var ol *openLibrary
	for _, s := range r.sources {
		if o, isOL := s.searcher.(*openLibrary); isOL {
			ol = o
		}
	}
	if ol == nil {
		return
	}
	known := map[string]bool{} // ISBNs some source already placed in an edition
	for _, c := range b.cands {
		if c.edition {
			known[c.isbn13] = true
		}
	}
	var open []candidate
	for _, c := range b.cands {
		if !c.edition && !known[c.isbn13] && r.verified(b.query, c) {
			known[c.isbn13] = true
			open = append(open, c)
		}
	}
	if len(open) < 2 {
		return
	}
	for _, c := range open[:min(len(open), r.cfg.EditionLookups)] {
		if st.unavailable(SourceOpenLibrary) != nil {
			b.incomplete = true
			return
		}
		eds, err := ol.edition(ctx, st, c)
		if err != nil {
			b.incomplete = true
			continue
		}
		b.cands = append(b.cands, eds...)
		if c, ok := r.choose(b.query, b.cands); ok && c.strong {
			return
		}
	}
}
