package render_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/sous-dev/sous/render"
)

// Every code of the table comes back from its own sentinel, wrapped as the
// stages wrap them, so a client that rebuilds an error from a code gets one
// with the same code, status and retry advice.
func TestCodeTableRoundTrips(t *testing.T) {
	codes := render.Codes()
	if len(codes) < 20 || codes[len(codes)-1] != render.CodeInternal {
		t.Fatalf("the table lists %d codes, ending with %s", len(codes), codes[len(codes)-1])
	}
	seen := map[render.Code]bool{}
	for _, c := range codes[:len(codes)-1] {
		if seen[c] {
			t.Errorf("%s is in the table twice", c)
		}
		seen[c] = true
		t.Run(string(c), func(t *testing.T) {
			if c.Err() == nil {
				t.Fatal("no sentinel")
			}
			if got := render.CodeOf(fmt.Errorf("stage: %w", c.Err())); got != c {
				t.Errorf("CodeOf(its own sentinel) = %s", got)
			}
			if s := c.Status(); s < 400 || s >= 600 || s == http.StatusInternalServerError {
				t.Errorf("status %d", s)
			}
			if c.Retryable() != (c.Status() == http.StatusTooManyRequests || c.Status() == http.StatusServiceUnavailable) {
				t.Errorf("retryable %v with status %d", c.Retryable(), c.Status())
			}
		})
	}
	if got := render.CodeOf(errors.New("a bug")); got != render.CodeInternal || got.Status() != 500 || got.Retryable() {
		t.Errorf("an unknown error: %s %d %v", got, got.Status(), got.Retryable())
	}
	if render.CodeOf(nil) != "" {
		t.Error("CodeOf(nil) is not empty")
	}
	// Permanent refusals are never 503, which callers read as "try again".
	for _, c := range []render.Code{render.CodeNotEnabled, render.CodeNotFound, render.CodeInvalidRequest} {
		if c.Status() == http.StatusServiceUnavailable || c.Retryable() {
			t.Errorf("%s: %d, retryable %v", c, c.Status(), c.Retryable())
		}
	}
}
