package browserpool

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/render"
)

// A frame of another site loads its document in its own renderer: the
// tab's session sees the request and its response, never its end. Once the
// page has loaded (with its frames), nothing is in flight: the frame's
// document kept every page with such a frame busy until it went stale.
func TestFrameDocumentsEndWithTheirResponse(t *testing.T) {
	t.Parallel()
	var port string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		// No favicon request, which may still be in flight at load.
		fmt.Fprint(w, `<link rel=icon href="data:,">`)
		if req.URL.Path == "/top" {
			fmt.Fprintf(w, `<p>top</p><iframe src="http://localhost:%s/frame"></iframe>`, port)
		}
	}))
	defer srv.Close()
	port = srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := New(ctx, Options{Tabs: 1, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tab, err := p.lease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.release(tab, true)
	w := newNetworkWatch(tab.s)
	nav := newNavigationWatch(tab.s, "")
	_, _, err = tab.navigate(ctx, &render.Request{URL: srv.URL + "/top"}, w, nav, p.guard, loadWait{event: "load"})
	nav.stop()
	w.stop()
	if err != nil {
		t.Fatal(err)
	}
	if !w.origins["http://localhost:"+port] {
		t.Fatalf("the watch never saw the frame's request; origins %v", w.origins)
	}
	if n := len(w.inflight); n != 0 {
		t.Errorf("%d requests in flight after the page loaded, want none", n)
	}
}
