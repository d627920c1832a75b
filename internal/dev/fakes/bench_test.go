package fakes

import (
	"context"
	"net/http"
	"net/url"
	"testing"
)

// BenchmarkISBNdbSearch measures one title+author search through HTTP, the resolver's hot path.
func BenchmarkISBNdbSearch(b *testing.B) {
	srv, err := Start(context.Background(), Options{ISBNdbRate: 1e9})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	books := srv.Catalog().Notable(2010, 5)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bk := books[i%len(books)]
		req, _ := http.NewRequest(http.MethodGet, srv.ISBNdbBaseURL()+"/books/"+url.PathEscape(bk.Title+" "+bk.Author), nil)
		req.Header.Set("Authorization", "bench")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
	}
}

// BenchmarkNewCatalog measures building the whole 1990–2025 catalog.
func BenchmarkNewCatalog(b *testing.B) {
	for b.Loop() {
		NewCatalog()
	}
}
