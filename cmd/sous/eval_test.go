package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

// minExtractionF1 is the floor for main-content extraction on the shared
// article-extraction corpus: the figure issue 13 asked to keep. The
// extractor scores 0.9854 there, so that a change that costs a page of
// quality fails here rather than going unnoticed. (The published anchors
// on the benchmark: go-trafilatura 0.960, trafilatura 0.958, Readability.js
// 0.947, go-readability 0.934.)
const minExtractionF1 = 0.985

// corpusDir finds the shared article-extraction corpus beside the module,
// or skips the test: the corpus lives outside the repository.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	corpus := filepath.Join(dir, "..", "shared", "corpus", "article-extraction")
	if _, err := os.Stat(filepath.Join(corpus, "ground-truth.json")); err != nil {
		t.Skipf("no article-extraction corpus at %s (it lives in the shared folder beside the module): %v", corpus, err)
	}
	return corpus
}

func TestEvalArticleCorpus(t *testing.T) {
	t.Parallel()
	corpus, err := loadCorpus(corpusDir(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	run, err := evalExtraction(context.Background(), corpus, render.FormatText, extractOnly(extract.New()))
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	run.report(&report, 10)
	t.Logf("\n%s", report.String())
	if len(run.predictions) != len(corpus.pages) {
		t.Errorf("%d predictions for %d pages", len(run.predictions), len(corpus.pages))
	}
	if run.f1 < minExtractionF1 {
		t.Errorf("F1 = %.4f, below the floor of %.3f", run.f1, minExtractionF1)
	}
}

// TestEvalCommand runs the command as a user would, with the flags after
// the directory, and checks the predictions file has the corpus's shape:
// one prediction for each page of the sample it was asked for.
func TestEvalCommand(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t)
	out := filepath.Join(t.TempDir(), "predictions.json")
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"eval", "extraction", dir, "-o", out, "-worst", "3", "-every", "4"}, nil, &stdout, &stderr); err != nil {
		t.Fatalf("sous eval: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "median ms") || !strings.Contains(stdout.String(), "f1=0.") {
		t.Errorf("report lacks timings or score:\n%s", stdout.String())
	}
	if n := strings.Count(stdout.String(), "worst f1="); n != 3 {
		t.Errorf("report lists %d worst pages, want 3", n)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var predictions map[string]struct {
		ArticleBody *string `json:"articleBody"`
	}
	if err := json.Unmarshal(b, &predictions); err != nil {
		t.Fatalf("predictions: %v", err)
	}
	truth, err := os.ReadFile(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]json.RawMessage
	if err := json.Unmarshal(truth, &want); err != nil {
		t.Fatal(err)
	}
	for i, id := range slices.Sorted(maps.Keys(want)) {
		p, ok := predictions[id]
		switch {
		case i%4 == 0 && (!ok || p.ArticleBody == nil):
			t.Errorf("no articleBody for page %s", id)
		case i%4 != 0 && ok:
			t.Errorf("page %s is outside the sample of every 4th page, yet predicted", id)
		}
	}
}

func TestEvalUsage(t *testing.T) {
	for _, args := range [][]string{
		{"eval"},
		{"eval", "nonsense"},
		{"eval", "extraction", "no-such-corpus"},
		{"eval", "extraction", "-o", "predictions.json", "a", "b"},
		{"eval", "extraction", "-f", "html", "dir"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, nil, &stdout, &stderr); err == nil {
			t.Errorf("sous %s succeeded", strings.Join(args, " "))
		}
	}
}

func TestShingleCounts(t *testing.T) {
	tests := []struct {
		truth, prediction string
		tp, fp, fn        float64
	}{
		{"", "", 0, 0, 0},
		{"one two three four five", "one two three four five", 1, 0, 0},
		{"one two three four five", "one two three four", 0.5, 0, 0.5},
		{"short", "short", 1, 0, 0},           // fewer than four words: one shingle
		{"a b c d", "x a b c d", 0.5, 0.5, 0}, // words are \w runs, punctuation splits
		{"über straße, café au lait", "über straße café au lait", 1, 0, 0},
	}
	for _, tt := range tests {
		tp, fp, fn := shingleCounts(tt.truth, tt.prediction)
		if tp != tt.tp || fp != tt.fp || fn != tt.fn {
			t.Errorf("shingleCounts(%q, %q) = %v, %v, %v; want %v, %v, %v", tt.truth, tt.prediction, tp, fp, fn, tt.tp, tt.fp, tt.fn)
		}
	}
}

func TestWordScores(t *testing.T) {
	tests := []struct {
		truth, prediction string
		precision, recall float64
	}{
		{"", "", 1, 1},
		{"", "extra", 0, 0},
		{"some words", "", 0, 0},
		{"The cat sat", "the CAT sat", 1, 1},
		{"a a b", "a c", 0.5, 1.0 / 3}, // a bag: each truth word matches once
		{"café, über_all 42", "café über_all 42 x", 0.75, 1},
	}
	for _, tt := range tests {
		p, r, _ := wordScores(tt.truth, tt.prediction)
		if p != tt.precision || r != tt.recall {
			t.Errorf("wordScores(%q, %q) = %v, %v; want %v, %v", tt.truth, tt.prediction, p, r, tt.precision, tt.recall)
		}
	}
}

func TestWCXBPageType(t *testing.T) {
	for raw, want := range map[string]string{
		`"forum"`:                 "forum",
		`{"primary": "product"}`:  "product",
		`{"primary": "category"}`: "collection",
		`null`:                    "article",
	} {
		if got := wcxbPageType(json.RawMessage(raw)); got != want {
			t.Errorf("wcxbPageType(%s) = %q, want %q", raw, got, want)
		}
	}
}

// wcxbFloors are the floors for main content on the whole shared WCXB
// development corpus, by page type and for all pages: the figures issue 13
// asked for. The extractor sits at or a little above each (forum 0.820,
// product 0.729, all 0.881), so that a change that loses forums, shops or
// listings fails here.
var wcxbFloors = map[string]float64{
	"article": 0.94, "documentation": 0.93, "forum": 0.82, "service": 0.82,
	"product": 0.72, "collection": 0.72, "listing": 0.72, "all": 0.88,
}

// TestLoadCorpusSample checks that a sample is every n-th page in ID order
// and that only its pages are read.
func TestLoadCorpusSample(t *testing.T) {
	t.Parallel()
	dir := corpusDir(t)
	all, err := loadCorpus(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	sample, err := loadCorpus(dir, 8)
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for i := 0; i < len(all.pages); i += 8 {
		want = append(want, all.pages[i].id)
	}
	for _, p := range sample.pages {
		got = append(got, p.id)
		if p.html == "" {
			t.Errorf("page %s of the sample has no HTML", p.id)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sample of every 8th page (-want +got):\n%s", diff)
	}
}

func TestEvalWCXBCorpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(filepath.Dir(corpusDir(t)), "wcxb-dev")
	if _, err := os.Stat(filepath.Join(dir, "ground-truth")); err != nil {
		t.Skipf("no wcxb-dev corpus at %s: %v", dir, err)
	}
	corpus, err := loadCorpus(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	run, err := evalExtraction(context.Background(), corpus, render.FormatText, extractOnly(extract.New()))
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	run.report(&report, 5)
	t.Logf("\n%s", report.String())
	f1 := run.typeF1()
	for _, typ := range append(slices.Clone(wcxbTypes), "all") {
		if f1[typ] < wcxbFloors[typ] {
			t.Errorf("%s: F1 = %.4f, below the floor of %.2f", typ, f1[typ], wcxbFloors[typ])
		}
	}
}
