package api_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// TestLiveView: the live page of a session, opened in headless Chromium
// (another session), shows the session's tab; what a viewer types reaches
// the session's page; the frames are a stream of JPEGs.
func TestLiveView(t *testing.T) {
	m, err := session.NewManager(session.Options{Browser: pool, Extractor: extract.New(), ActionTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	base := serveAPI(t, api.New(svc, api.Options{Sessions: m}))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	watched, err := m.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Act(ctx, watched.ID, &session.ActRequest{Actions: []session.Action{
		{Kind: session.DoNavigate, URL: site.URL + "/app/login"}, {Kind: session.DoClick, Target: "#username"},
	}})
	if err != nil || res.Failed() != nil {
		t.Fatalf("%v %v", err, res.Failed())
	}

	// The frames: a multipart stream of JPEGs.
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/sessions/"+watched.ID+"/live/frames", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/x-mixed-replace") {
		t.Fatalf("frames are %s", resp.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(resp.Body)
	var head []byte
	for !bytes.Contains(head, []byte("\r\n\r\n")) {
		b, err := rd.ReadByte()
		if err != nil {
			t.Fatal(err)
		}
		head = append(head, b)
	}
	soi := make([]byte, 2)
	if _, err := rd.Read(soi); err != nil || soi[0] != 0xFF || soi[1] != 0xD8 {
		t.Errorf("the first frame is not a JPEG: %x %v", soi, err)
	}
	if info, _ := m.Get(watched.ID); !info.Watched {
		t.Errorf("a session being watched does not say so")
	}
	resp.Body.Close()

	// The viewer's typing reaches the focused field.
	body := strings.NewReader(`{"type": "text", "text": "hello"}`)
	in, err := http.Post(base+"/v1/sessions/"+watched.ID+"/live/input", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	in.Body.Close()
	if in.StatusCode != 200 {
		t.Fatalf("input: %d", in.StatusCode)
	}
	res, err = m.Act(ctx, watched.ID, &session.ActRequest{Snapshot: session.SnapshotFull})
	if err != nil || !strings.Contains(res.Snapshot, `textbox "Username" [ref=`) || !strings.Contains(res.Snapshot, ": hello") {
		t.Errorf("after the viewer typed: %v\n%s", err, res.Snapshot)
	}

	// The live page in headless Chromium shows the stream.
	viewer, err := m.Create(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = m.Act(ctx, viewer.ID, &session.ActRequest{Actions: []session.Action{
		{Kind: session.DoNavigate, URL: base + "/v1/sessions/" + watched.ID + "/live"},
		{Kind: session.DoWait, Selector: "body[data-live=on]"},
	}})
	if err != nil || res.Failed() != nil {
		t.Errorf("the live page: %v %v\n%s", err, res.Failed(), res.Snapshot)
	}
}
