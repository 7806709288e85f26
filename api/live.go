package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// The live view of a session, for a person to watch it and lend a hand (a
// second factor, a challenge) before the agent goes on:
//
//	GET  /v1/sessions/{id}/live          a page showing the session's tab, which sends
//	                                     the viewer's clicks, scrolls and keys to it
//	GET  /v1/sessions/{id}/live/frames   the tab as an MJPEG stream (multipart/x-mixed-replace)
//	POST /v1/sessions/{id}/live/input    a session.LiveInput
//
// They are behind the same token and origin checks as every route. While
// the page is open the session does not expire, and GET /v1/sessions/{id}
// says watched. Secrets are hidden in what the API returns, not in pixels:
// a secret typed into a visible text field shows in the live view.

// Watcher is what the live view needs: session.Manager.
type Watcher interface {
	Watch(ctx context.Context, id string, frame func(jpeg []byte) error) error
	Input(ctx context.Context, id string, in *session.LiveInput) error
}

var _ Watcher = (*session.Manager)(nil)

func (s *Server) registerLive() {
	s.handle("GET /v1/sessions/{id}/live", s.livePage)
	s.handle("GET /v1/sessions/{id}/live/frames", s.liveFrames)
	s.handle("POST /v1/sessions/{id}/live/input", s.liveInput)
}

func (s *Server) watcher() (Watcher, error) {
	w, ok := s.opts.Sessions.(Watcher)
	if !ok || s.opts.Sessions == nil {
		return nil, fmt.Errorf("%w: this service has no live view of sessions", render.ErrNotEnabled)
	}
	return w, nil
}

// livePage is the viewer: the frames as an image, the viewer's input sent
// back. Coordinates are scaled from the image as shown to its pixels.
const livePage = `<!DOCTYPE html>
<html lang=en><head><meta charset=utf-8><title>Sous · live session</title>
<style>body{margin:0;background:#1d1d1d;color:#ddd;font:14px system-ui} p{margin:6px 10px} img{display:block;max-width:100%;cursor:crosshair;outline:none}</style></head>
<body><p>Live view of a Sous session: clicks, scrolling and typing go to its page. Close this tab to hand back.</p>
<img id=screen src="live/frames" alt="the session's page" tabindex=0>
<script>
const img = document.getElementById("screen");
img.addEventListener("load", () => { document.body.dataset.live = "on"; });
img.addEventListener("error", () => setTimeout(() => { img.src = "live/frames?" + Date.now(); }, 1000));
const send = (ev) => fetch("live/input", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(ev)});
const at = (e) => { const r = img.getBoundingClientRect(); return {x: (e.clientX - r.left) * img.naturalWidth / r.width, y: (e.clientY - r.top) * img.naturalHeight / r.height}; };
img.addEventListener("click", (e) => { img.focus(); send(Object.assign({type: "click"}, at(e))); });
img.addEventListener("wheel", (e) => { e.preventDefault(); send(Object.assign({type: "wheel", deltaX: e.deltaX, deltaY: e.deltaY}, at(e))); }, {passive: false});
img.addEventListener("keydown", (e) => {
  e.preventDefault();
  if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) send({type: "text", text: e.key});
  else send({type: "key", key: (e.ctrlKey ? "Control+" : "") + (e.altKey ? "Alt+" : "") + (e.shiftKey && e.key.length > 1 ? "Shift+" : "") + e.key});
});
</script></body></html>`

func (s *Server) livePage(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.watcher(); err != nil {
		return err
	}
	if s.opts.Sessions != nil {
		if _, err := s.opts.Sessions.Get(r.PathValue("id")); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Write([]byte(livePage))
	return nil
}

func (s *Server) liveFrames(w http.ResponseWriter, r *http.Request) error {
	wt, err := s.watcher()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.opts.Sessions.Get(id); err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.live, cancel) // the server shutting down ends every stream
	defer stop()
	started := false
	err = wt.Watch(ctx, id, func(jpeg []byte) error {
		if !started {
			started = true
			w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary=frame")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
		}
		if _, err := fmt.Fprintf(w, "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %s\r\n\r\n", strconv.Itoa(len(jpeg))); err != nil {
			return err
		}
		if _, err := w.Write(jpeg); err != nil {
			return err
		}
		if _, err := w.Write([]byte("\r\n")); err != nil {
			return err
		}
		return rc.Flush()
	})
	if started {
		return nil // the stream has begun: no error reply can follow
	}
	return err
}

func (s *Server) liveInput(w http.ResponseWriter, r *http.Request) error {
	var in session.LiveInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	wt, err := s.watcher()
	if err != nil {
		return err
	}
	if err := wt.Input(r.Context(), r.PathValue("id"), &in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SessionEnvelope[any]{Success: true, Errors: []Error{}})
	return nil
}
