package render

import (
	"context"
	"fmt"
	"maps"
	"net/url"
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

// LLMsTxtReader reads a site's /llms.txt (llmstxt.org), nil when it has
// none. It should remember each site's answer a while.
type LLMsTxtReader interface {
	LLMsTxt(ctx context.Context, pageURL string) *LLMsTxt
}

// LLMsTxt describes a site's llms.txt, its guide for language models, as
// a render of the site's root page reports it (Meta.LLMsTxt).
type LLMsTxt struct {
	URL     string `json:"url"`
	Title   string `json:"title,omitempty"`
	Summary string `json:"summary,omitempty"`
	// Links counts the pages it links to.
	Links int `json:"links"`
}

// readLLMsTxt reads the llms.txt of req's site while the page loads, when
// req is for the site's root page: the channel receives it (or nil) once,
// by the time ctx ends.
func (s *Service) readLLMsTxt(ctx context.Context, req *Request) <-chan *LLMsTxt {
	out := make(chan *LLMsTxt, 1)
	u, err := url.Parse(req.URL)
	if s.opts.LLMsTxt == nil || req.URL == "" || err != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		out <- nil
		return out
	}
	// Counted with the render that started it (which holds the count above
	// zero meanwhile), so Close waits for it too; the reader returns when
	// ctx ends.
	s.renders.Go(func() { out <- s.opts.LLMsTxt.LLMsTxt(ctx, req.URL) })
	return out
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
	// Counted as readLLMsTxt's is; SignalReader returns when ctx ends.
	s.renders.Go(func() { out <- s.signalsOf(ctx, req) })
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
