package browserpool

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sous-dev/sous/render"
)

func TestSmoke(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<html><head><title>t</title></head><body><h1>Hello</h1><p>%s</p><script>document.body.append('x')</script></body></html>", r.URL.Path)
	}))
	defer ts.Close()
	p, err := New(context.Background(), Options{Tabs: 2, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 4; i++ {
		pg, err := p.Fetch(context.Background(), &render.Request{URL: ts.URL + "/x", Formats: []render.Format{render.FormatScreenshot}})
		if err != nil {
			t.Fatal(err)
		}
		t.Log(pg.Status, pg.URL, pg.Title, len(pg.HTML), len(pg.Screenshot), pg.HTML)
	}
	pg, err := p.Fetch(context.Background(), &render.Request{HTML: "<title>hi</title><p>yo</p>", Formats: []render.Format{render.FormatPDF}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(pg.Status, pg.URL, pg.Title, len(pg.HTML), len(pg.PDF))
}
