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
	codes := []render.Code{
		render.CodeScriptTimeout, render.CodeScriptMemory, render.CodeScriptOutput, render.CodeScript,
		render.CodeInvalidRequest, render.CodeTooLarge, render.CodeUnauthorized, render.CodeNotFound,
		render.CodeNotEnabled, render.CodeTimeout, render.CodeBlocked, render.CodeOverloaded,
		render.CodeNavigation, render.CodeBrowser, render.CodeUnavailable,
	}
	for _, c := range codes {
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
