package session

import (
	"context"
	"fmt"
	"time"

	"github.com/sous-dev/sous/render"
)

// The live view: a person watches a session's active tab and lends a hand
// (a login with a second factor, a challenge), then hands back.

// Live is what a Context offers the live view; browserpool's contexts do.
type Live interface {
	// Screencast calls frame with each new image (JPEG) of the active tab
	// until ctx ends or frame fails.
	Screencast(ctx context.Context, frame func(jpeg []byte) error) error
	// Input sends a viewer's click, scroll, key or text to the active tab.
	Input(ctx context.Context, in *LiveInput) error
}

// LiveInput is one event of a viewer. X and Y are in the frame's pixels.
type LiveInput struct {
	Type   string  `json:"type"` // click, move, wheel, key or text
	X      float64 `json:"x,omitempty"`
	Y      float64 `json:"y,omitempty"`
	DeltaX float64 `json:"deltaX,omitempty"`
	DeltaY float64 `json:"deltaY,omitempty"`
	Key    string  `json:"key,omitempty"`
	Text   string  `json:"text,omitempty"`
}

func (in *LiveInput) check() error {
	switch in.Type {
	case "click", "move", "wheel":
		if in.X < 0 || in.Y < 0 || in.X > 10000 || in.Y > 10000 {
			return fmt.Errorf("%w: x and y must be within the frame", render.ErrInvalidRequest)
		}
	case "key":
		if in.Key == "" || len(in.Key) > 64 {
			return fmt.Errorf("%w: key is required", render.ErrInvalidRequest)
		}
	case "text":
		if in.Text == "" || len(in.Text) > 4096 {
			return fmt.Errorf("%w: text must be 1 to 4096 bytes", render.ErrInvalidRequest)
		}
	default:
		return fmt.Errorf("%w: type must be click, move, wheel, key or text", render.ErrInvalidRequest)
	}
	return nil
}

func (s *Session) live() (Live, error) {
	l, ok := s.browser.(Live)
	if !ok {
		return nil, fmt.Errorf("%w: this service's browser has no live view", render.ErrNotEnabled)
	}
	return l, nil
}

// Watch streams the session's active tab to frame until ctx ends. While
// someone watches, the session does not expire, and Info says Watched.
func (m *Manager) Watch(ctx context.Context, id string, frame func(jpeg []byte) error) error {
	s, err := m.lookup(id)
	if err != nil {
		return err
	}
	l, err := s.live()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.watchers++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.watchers--
		s.lastUsed = time.Now()
		s.mu.Unlock()
	}()
	return l.Screencast(ctx, frame)
}

// Input sends a viewer's event to the session, between its requests.
func (m *Manager) Input(ctx context.Context, id string, in *LiveInput) error {
	if err := in.check(); err != nil {
		return err
	}
	s, err := m.lookup(id)
	if err != nil {
		return err
	}
	l, err := s.live()
	if err != nil {
		return err
	}
	done, err := s.take(ctx)
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := context.WithTimeout(ctx, m.opts.ActionTimeout)
	defer cancel()
	return s.redactError(l.Input(ctx, in))
}
