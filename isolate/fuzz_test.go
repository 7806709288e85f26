package isolate_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
)

// FuzzScript feeds arbitrary source and page text across the script
// boundary. Whatever the script, the caller gets valid JSON or a script
// error (or, for input it must fix, ErrInvalidRequest), never a panic, and
// the pool keeps serving. The seeds run as a normal test.
func FuzzScript(f *testing.F) {
	for _, seed := range []struct{ src, text string }{
		{`return page.text.length`, "hello"},
		{`return page.text.split("").reverse().join("")`, "naïve 日本 \u0000 \ufffd"},
		{`return JSON.parse(page.text)`, `{"a": [1, 2, {"b": null}]}`},
		{`return eval(page.text)`, `1 + 1`},
		{`return new Function(page.text)()`, `return this`},
		{`while (true) {}`, ""},
		{`throw page`, "x"},
		{`})(); (function () {`, ""},
		{`return /(x+x+)+y/.test(page.text)`, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
		{"\x00\xff`${", "\xff"},
		{`return "\ud800"`, ""},
		{`return [1n]`, ""},
	} {
		f.Add(seed.src, seed.text)
	}
	p, err := isolate.New(context.Background(), isolate.Options{
		Command: isolate.SelfCommand(),
		Workers: 1,
		Script:  isolate.Limits{Timeout: 250 * time.Millisecond, Memory: 16 << 20, Output: 64 << 10},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.Close() })
	f.Fuzz(func(t *testing.T, src, text string) {
		input, err := json.Marshal(map[string]string{"text": text})
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Eval(context.Background(), src, input)
		var se *render.ScriptError
		switch {
		case err == nil:
			if !json.Valid(out) {
				t.Errorf("%q returned invalid JSON %q", src, out)
			}
		case errors.As(err, &se), errors.Is(err, render.ErrInvalidRequest):
		default:
			t.Errorf("%q: unexpected error %v", src, err)
		}
	})
}
