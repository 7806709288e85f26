package render

import (
	"context"
	"fmt"
	"maps"
)

// The purposes a request may declare, as Content Signals name them
// (contentsignals.org).
const (
	PurposeSearch  = "search"
	PurposeAIInput = "ai-input"
	PurposeAITrain = "ai-train"
)

// SignalReader reads the Content Signals a site gives in its robots.txt
// ("search" → "yes"/"no" …), nil when it gives none or cannot be read.
// It should remember each site's answer a while, since every render asks.
type SignalReader interface {
	ContentSignals(ctx context.Context, pageURL string) map[string]string
}

func (r *Request) checkPurpose() error {
	switch r.Purpose {
	case "", PurposeSearch, PurposeAIInput, PurposeAITrain:
		return nil
	}
	return invalid("purpose: want search, ai-input or ai-train, not %q", r.Purpose)
}

// signalsOf returns the Content Signals of req's site, or nil.
func (s *Service) signalsOf(ctx context.Context, req *Request) map[string]string {
	if s.opts.Signals == nil || req.URL == "" {
		return nil
	}
	if signals := s.opts.Signals.ContentSignals(ctx, req.URL); len(signals) > 0 {
		return maps.Clone(signals)
	}
	return nil
}

// readSignals reads the Content Signals of req's site while the page
// loads: the channel receives them (or nil) once, by the time ctx ends.
func (s *Service) readSignals(ctx context.Context, req *Request) <-chan map[string]string {
	out := make(chan map[string]string, 1)
	if s.opts.Signals == nil || req.URL == "" {
		out <- nil
		return out
	}
	go func() { out <- s.signalsOf(ctx, req) }() // SignalReader returns when ctx ends
	return out
}

// checkSignals refuses a request whose declared purpose its site's
// Content Signals refuse, when the service respects them.
func (s *Service) checkSignals(ctx context.Context, req *Request) error {
	if !s.opts.RespectSignals || req.Purpose == "" {
		return nil
	}
	if s.signalsOf(ctx, req)[req.Purpose] == "no" {
		return fmt.Errorf("%w: %s's robots.txt says Content-Signal: %s=no, and this request's purpose is %s", ErrDisallowed, req.URL, req.Purpose, req.Purpose)
	}
	return nil
}
