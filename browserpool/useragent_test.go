package browserpool

import (
	"context"
	"testing"
	"time"
)

// The user agent built from `--version` is the one the browser itself
// reports, "HeadlessChrome" made "Chrome": else skipping the probe browser
// would change what every request sends.
func TestUserAgentFromVersionIsTheBrowsers(t *testing.T) {
	t.Parallel()
	exe, err := FindChrome("")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	built := userAgentFromVersion(ctx, exe)
	if built == "" {
		t.Fatalf("no user agent from %s --version", exe)
	}
	probe, err := launch(ctx, exe, nil, nil, memoryCaps{})
	if err != nil {
		t.Fatal(err)
	}
	defer probe.close()
	if reported := probe.userAgent(ctx); reported != built {
		t.Errorf("built from --version: %q\nthe browser reports:  %q", built, reported)
	}
}
