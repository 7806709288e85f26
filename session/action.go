package session

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"

	"github.com/sous-dev/sous/render"
)

// The actions a session runs, by the name an Action carries in "action".
const (
	DoNavigate = "navigate" // {url}
	DoClick    = "click"    // {target}
	DoType     = "type"     // {target, text | secret, submit?}
	DoFill     = "fill"     // {fields: [{target, value | secret}]}
	DoSelect   = "select"   // {target, values}
	DoCheck    = "check"    // {target}
	DoUncheck  = "uncheck"  // {target}
	DoPress    = "press"    // {key}, such as Enter, Tab, ArrowDown, Control+a
	DoHover    = "hover"    // {target}
	DoScroll   = "scroll"   // {target} or {direction, amount}
	DoWait     = "wait"     // {selector | text | textGone | timeMs}
	DoBack     = "back"     // {}
	DoForward  = "forward"  // {}
	DoTab      = "tab"      // {index}: make that tab the active one
	DoNewTab   = "newTab"   // {url?}: open a tab and make it active
	DoCloseTab = "closeTab" // {index?}: close a tab (the active one by default)
	DoUpload   = "upload"   // {target, name, contentBase64}
	DoDialog   = "dialog"   // {accept, text?}: answer the open alert, confirm or prompt
)

// Bounds of actions.
const (
	// MaxActions is how many actions one request may carry.
	MaxActions = 50
	// MaxText bounds typed text, a field's value and a URL.
	MaxText = 64 << 10
	// MaxUpload bounds the decoded content of one uploaded file.
	MaxUpload = 10 << 20
	// MaxWait bounds a wait's timeMs, in milliseconds.
	MaxWait = 30_000
	// MaxScroll bounds a scroll's amount, in CSS pixels.
	MaxScroll = 100_000
)

// Action is one step of an actions request. Which fields count depends on
// Kind; see the Do constants.
type Action struct {
	Kind string `json:"action"`
	// Target is a ref from the last snapshot ("e12") or a CSS selector.
	Target string `json:"target,omitempty"`
	URL    string `json:"url,omitempty"`
	// Text is what type types, the text wait waits for, or a prompt's answer.
	Text string `json:"text,omitempty"`
	// Secret names a secret of the session whose value type types instead of Text.
	Secret string `json:"secret,omitempty"`
	// Submit presses Enter after typing.
	Submit bool    `json:"submit,omitempty"`
	Fields []Field `json:"fields,omitempty"`
	// Values are the options select chooses, by value or by label.
	Values []string `json:"values,omitempty"`
	Key    string   `json:"key,omitempty"`
	// Direction (up, down, left, right) and Amount (CSS pixels; default
	// one screen) scroll the page when there is no Target.
	Direction string `json:"direction,omitempty"`
	Amount    int    `json:"amount,omitempty"`
	// Selector, Text, TextGone and TimeMs are what wait waits for: an
	// element to be visible, text to appear or go, or a time to pass.
	Selector string `json:"selector,omitempty"`
	TextGone string `json:"textGone,omitempty"`
	TimeMs   int    `json:"timeMs,omitempty"`
	// Index is the tab of tab and closeTab, from 0 in the order of Tabs.
	Index *int `json:"index,omitempty"`
	// Name and ContentBase64 are the file upload sets on a file input.
	Name          string `json:"name,omitempty"`
	ContentBase64 string `json:"contentBase64,omitempty"`
	// Accept answers a dialog: OK (true) or Cancel (false).
	Accept *bool `json:"accept,omitempty"`
}

// Field is one form field of fill. Value is text for a text field, "true"
// or "false" for a checkbox or radio button, and an option's value or label
// for a select.
type Field struct {
	Target string `json:"target"`
	Value  string `json:"value,omitempty"`
	Secret string `json:"secret,omitempty"`
}

// refPattern matches a snapshot ref, which a target may be instead of a
// CSS selector.
var refPattern = regexp.MustCompile(`^e[0-9]{1,9}$`)

// IsRef reports whether target names a ref from a snapshot rather than a
// CSS selector.
func IsRef(target string) bool { return refPattern.MatchString(target) }

// check refuses an action that is malformed whatever the page, naming the
// field at fault. secrets are the names the session knows.
func (a *Action) check(secrets map[string]string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", render.ErrInvalidRequest, a.Kind, fmt.Sprintf(format, args...))
	}
	needTarget := func() error {
		if strings.TrimSpace(a.Target) == "" {
			return bad("target is required: a ref from the snapshot (e12) or a CSS selector")
		}
		if len(a.Target) > 4096 {
			return bad("target is longer than 4096 characters")
		}
		return nil
	}
	knownSecret := func(name string) error {
		if _, ok := secrets[name]; !ok {
			return bad("no secret named %q in this session; secrets are given when the session is created", name)
		}
		return nil
	}
	if len(a.Text) > MaxText || len(a.URL) > MaxText {
		return bad("text and url are limited to %d bytes", MaxText)
	}
	switch a.Kind {
	case DoNavigate:
		if !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://") {
			return bad("url must be an absolute http:// or https:// URL")
		}
	case DoClick, DoHover, DoCheck, DoUncheck:
		return needTarget()
	case DoType:
		if err := needTarget(); err != nil {
			return err
		}
		if a.Secret != "" {
			if a.Text != "" {
				return bad("give text or secret, not both")
			}
			return knownSecret(a.Secret)
		}
	case DoFill:
		if len(a.Fields) == 0 || len(a.Fields) > 100 {
			return bad("fields must hold 1 to 100 fields")
		}
		for i, f := range a.Fields {
			if strings.TrimSpace(f.Target) == "" {
				return bad("fields[%d].target is required", i)
			}
			if len(f.Value) > MaxText {
				return bad("fields[%d].value is longer than %d bytes", i, MaxText)
			}
			if f.Secret != "" {
				if f.Value != "" {
					return bad("fields[%d]: give value or secret, not both", i)
				}
				if err := knownSecret(f.Secret); err != nil {
					return err
				}
			}
		}
	case DoSelect:
		if err := needTarget(); err != nil {
			return err
		}
		if len(a.Values) == 0 || len(a.Values) > 100 {
			return bad("values must hold 1 to 100 options")
		}
	case DoPress:
		if a.Key == "" || len(a.Key) > 64 {
			return bad("key is required: a key name such as Enter, Tab, ArrowDown or Control+a")
		}
	case DoScroll:
		if a.Target == "" {
			switch a.Direction {
			case "", "up", "down", "left", "right":
			default:
				return bad("direction must be up, down, left or right")
			}
		}
		if a.Amount < 0 || a.Amount > MaxScroll {
			return bad("amount must be between 0 and %d pixels", MaxScroll)
		}
	case DoWait:
		n := 0
		for _, set := range []bool{a.Selector != "", a.Text != "", a.TextGone != "", a.TimeMs != 0} {
			if set {
				n++
			}
		}
		if n != 1 {
			return bad("give exactly one of selector, text, textGone and timeMs")
		}
		if a.TimeMs < 0 || a.TimeMs > MaxWait {
			return bad("timeMs must be between 1 and %d", MaxWait)
		}
	case DoBack, DoForward, DoNewTab:
		if a.Kind == DoNewTab && a.URL != "" && !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://") {
			return bad("url must be an absolute http:// or https:// URL")
		}
	case DoTab:
		if a.Index == nil || *a.Index < 0 {
			return bad("index is required: the tab's place in tabs, from 0")
		}
	case DoCloseTab:
		if a.Index != nil && *a.Index < 0 {
			return bad("index must be 0 or more")
		}
	case DoUpload:
		if err := needTarget(); err != nil {
			return err
		}
		if a.Name == "" || len(a.Name) > 255 || strings.ContainsAny(a.Name, "/\\\x00") {
			return bad("name must be a file name without slashes, up to 255 bytes")
		}
		if base64.StdEncoding.DecodedLen(len(a.ContentBase64)) > MaxUpload+3 {
			return bad("the file is larger than %d bytes", MaxUpload)
		}
		if _, err := base64.StdEncoding.DecodeString(a.ContentBase64); err != nil {
			return bad("contentBase64 is not base64: %v", err)
		}
	case DoDialog:
		if a.Accept == nil {
			return bad("accept is required: true for OK, false for Cancel")
		}
	case "":
		return fmt.Errorf("%w: an action without \"action\"; say which, such as {\"action\": \"click\", \"target\": \"e12\"}", render.ErrInvalidRequest)
	default:
		return fmt.Errorf("%w: unknown action %q", render.ErrInvalidRequest, a.Kind)
	}
	return nil
}

// resolved is a copy of a with secret names replaced by their values, for
// the browser alone; a itself is what replies echo.
func (a *Action) resolved(secrets map[string]string) *Action {
	r := *a
	if a.Secret != "" {
		r.Text, r.Secret = secrets[a.Secret], ""
	}
	if len(a.Fields) > 0 {
		r.Fields = make([]Field, len(a.Fields))
		for i, f := range a.Fields {
			if f.Secret != "" {
				f.Value, f.Secret = secrets[f.Secret], ""
			}
			r.Fields[i] = f
		}
	}
	return &r
}
