package render

import (
	"errors"
	"fmt"
)

// ErrObstacle is a page that stands between the caller and the content: a
// bot challenge, a captcha, a login wall, a paywall or an HTTP 402. Such a
// page is a result to report, not content to extract, so that an agent can
// tell it from a real answer. Its errors are *ObstacleError values.
var ErrObstacle = errors.New("obstacle")

// The kinds of Obstacle.
const (
	// ObstacleChallenge is a bot check that runs in the browser (Cloudflare's
	// "Just a moment...", DataDome's device check, a WAF's interstitial).
	ObstacleChallenge = "challenge"
	// ObstacleCaptcha is a puzzle for a person (Turnstile, hCaptcha,
	// reCAPTCHA, "press and hold").
	ObstacleCaptcha = "captcha"
	// ObstacleLogin is a page that shows a sign-in form instead of content.
	ObstacleLogin = "login"
	// ObstaclePaywall is content kept for subscribers.
	ObstaclePaywall = "paywall"
	// ObstaclePayment is an HTTP 402: the site asks to be paid.
	ObstaclePayment = "payment"
)

// Obstacle describes what stood in the way, as Meta.Obstacle reports it.
type Obstacle struct {
	// Kind is one of the Obstacle* constants.
	Kind string `json:"kind"`
	// Vendor names the product behind it when the page says ("cloudflare",
	// "datadome", "recaptcha" …), or is empty.
	Vendor string `json:"vendor,omitempty"`
	// Evidence is what gave it away, for a person to check: markers, the
	// status, a header.
	Evidence string `json:"evidence"`
}

// ObstacleDetector is implemented by an Extractor that recognises obstacle
// pages. Service asks it about every page it fetches, whatever the engine.
type ObstacleDetector interface {
	// DetectObstacle returns the obstacle page shows, or nil. whole reports
	// that the obstacle is all the page has to give (a challenge, a login
	// form, a paywall with a teaser); otherwise the page has real content
	// beside it (a short paywall notice under a whole article).
	DetectObstacle(page *Page) (o *Obstacle, whole bool)
}

// ObstacleError is the error of a page that was an obstacle. Meta describes
// the page as it would a result (status, URL, title, engine, timings, and
// Meta.Obstacle), so transports can show it beside the error.
type ObstacleError struct {
	Meta Meta
}

func (e *ObstacleError) Error() string {
	o := e.Meta.Obstacle
	if o == nil {
		return ErrObstacle.Error()
	}
	by := ""
	if o.Vendor != "" {
		by = " (" + o.Vendor + ")"
	}
	return fmt.Sprintf("%v: the page is a %s page%s, not content: %s", ErrObstacle, o.Kind, by, o.Evidence)
}

func (e *ObstacleError) Unwrap() error { return ErrObstacle }

// MetaOf returns the Meta a failed render carries (the page that was an
// obstacle, or that asked to be paid), or nil when err carries none.
func MetaOf(err error) *Meta {
	var oe *ObstacleError
	if errors.As(err, &oe) {
		return &oe.Meta
	}
	var pe *PaymentError
	if errors.As(err, &pe) {
		return &pe.Meta
	}
	return nil
}

// detectObstacle asks the Extractor about page, when it can tell.
func (s *Service) detectObstacle(page *Page) (*Obstacle, bool) {
	d, ok := s.opts.Extractor.(ObstacleDetector)
	if !ok {
		return nil, false
	}
	return d.DetectObstacle(page)
}
