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
// Fault injection (latency, 5xx, 429 with Retry-After, truncated bodies, LLM refusals and empty
// answers, quota exhaustion, outages) is set per provider at start and at run time, through the
// Go API or the /_fake/ admin endpoints, and is reproducible for a given seed.
package fakes
