// Package fakes serves offline, faithful fakes of every external API the worker calls — Gemini,
// xAI (Grok), ISBNdb, Google Books, Open Library, the Library of Congress SRU server, Wikidata's
// SPARQL endpoint and Archive.org's advanced search — from one loopback HTTP server, one path
// prefix per provider, speaking each API's real wire format and quirks (providers.md).
//
// The answers come from a deterministic Catalog covering 1990-01..2025-12: per month, notable
// books (the ground truth), decoys that live in the sources' indexes (near misses a careless
// resolver picks), fictional titles no source knows (what a padding model invents), and books
// only some sources know. Tests measure a pipeline's quality against it.
//
// The catalogue carries the shapes real catalogues have: editions told apart only by an edition
// subtitle and format (graphic novel, illustrated, young readers', abridged, annotated,
// companion), authors filed under compound, particle and corporate headings, and titles joined
// to their subtitle by a full-width colon.
//
// Fault injection (latency, 5xx, 429 with Retry-After, truncated bodies, LLM refusals, empty and
// length-cut answers, quota exhaustion, outages, oversized answers, HTML portal pages and
// diagnostics with status 200) is set per provider at start and at run time, through the Go API
// or the /_fake/ admin endpoints, and is reproducible for a given seed.
package fakes
