package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
)

// The README's table of limits is the one `sous serve --help` prints, which
// is built from the constants and flag defaults the service enforces.
// SOUS_UPDATE_README=1 rewrites the README's copy.
func TestLimitsInREADME(t *testing.T) {
	var help bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, nil, &help, new(bytes.Buffer)); err != nil && !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(help.String(), "\n| Limit |")
	if !ok {
		t.Fatalf("serve --help prints no table of limits:\n%s", help.String())
	}
	table = "| Limit |" + table

	const path = "../../README.md"
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- limits: generated from cmd/sous/limits.go; TestLimitsInREADME checks it -->\n", "<!-- /limits -->"
	before, rest, ok1 := strings.Cut(string(readme), begin)
	inREADME, after, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		t.Fatalf("the README has no table of limits between %q and %q", begin, end)
	}
	if inREADME == table {
		return
	}
	if os.Getenv("SOUS_UPDATE_README") == "1" {
		if err := os.WriteFile(path, []byte(before+begin+table+end+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the README's table of limits differs from serve --help's; run with SOUS_UPDATE_README=1\n--- README ---\n%s--- help ---\n%s", inREADME, table)
}
