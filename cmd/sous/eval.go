package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

// evalCommand measures the extractor against a corpus with ground truth.
// Its one subcommand, "extraction", runs main-content extraction over an
// article-extraction corpus and writes predictions in the corpus's own
// shape, so that the benchmark's scorer can read them:
//
//	sous eval extraction ../shared/corpus/article-extraction -o predictions.json
//	python3 ../shared/tools/score-extraction.py GROUND_TRUTH predictions.json
//
// It also prints the timing of every page's extraction and the score it
// computes itself, by the same rules as the scorer.
func evalCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "extraction" {
		fmt.Fprint(stderr, "Usage: sous eval extraction [flags] DIR\n\nRun \"sous eval extraction --help\" for the flags.\n")
		return exitCode(2)
	}
	fs := newFlagSet("eval extraction", "eval extraction [flags] DIR\n\n"+
		"Extracts the main content of every page of an article-extraction corpus\n"+
		"(DIR/ground-truth.json, DIR/html/ID.html.gz) without a browser, writes the\n"+
		"predictions as {ID: {\"articleBody\": ...}}, and prints timings and the\n"+
		"4-gram F1 against the ground truth.", stderr)
	out := fs.String("o", "", "write the predictions to this file (default: none)")
	format := fs.String("f", "text", "the format that becomes articleBody: text or markdown")
	worst := fs.Int("worst", 10, "list this many pages with the lowest F1")
	// Flags may come after the directory too, as the synopsis shows them.
	var dirs []string
	for rest := args[1:]; ; {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		dirs, rest = append(dirs, fs.Arg(0)), fs.Args()[1:]
	}
	if len(dirs) != 1 {
		fs.Usage()
		return fmt.Errorf("eval extraction takes one corpus directory, got %d arguments", len(dirs))
	}
	if *format != "text" && *format != "markdown" {
		return fmt.Errorf("-f: want text or markdown, not %q", *format)
	}
	corpus, err := loadCorpus(dirs[0])
	if err != nil {
		return err
	}
	run, err := evalExtraction(ctx, corpus, render.Format(*format))
	if err != nil {
		return err
	}
	if *out != "" {
		b, err := json.MarshalIndent(run.predictions, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	run.report(stdout, *worst)
	return nil
}

// article is one page of a corpus, in the shape of its ground-truth file
// (and of the predictions, which carry articleBody only).
type article struct {
	ArticleBody string `json:"articleBody"`
	URL         string `json:"url,omitempty"`
}

// corpusPage is a page of a corpus with its HTML.
type corpusPage struct {
	id    string
	truth article
	html  string
}

// loadCorpus reads DIR/ground-truth.json and, for each of its pages,
// DIR/html/ID.html.gz (or ID.html).
func loadCorpus(dir string) ([]corpusPage, error) {
	b, err := os.ReadFile(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		return nil, err
	}
	var truth map[string]article
	if err := json.Unmarshal(b, &truth); err != nil {
		return nil, fmt.Errorf("ground-truth.json: %w", err)
	}
	var pages []corpusPage
	for id, t := range truth {
		doc, err := readPage(filepath.Join(dir, "html", id))
		if err != nil {
			return nil, err
		}
		pages = append(pages, corpusPage{id: id, truth: t, html: doc})
	}
	slices.SortFunc(pages, func(a, b corpusPage) int { return strings.Compare(a.id, b.id) })
	return pages, nil
}

func readPage(base string) (string, error) {
	f, err := os.Open(base + ".html.gz")
	if errors.Is(err, os.ErrNotExist) {
		b, err := os.ReadFile(base + ".html")
		return string(b), err
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("%s.html.gz: %w", base, err)
	}
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, zr); err != nil {
		return "", fmt.Errorf("%s.html.gz: %w", base, err)
	}
	return buf.String(), nil
}

// evalRun is the outcome of one pass over a corpus.
type evalRun struct {
	predictions map[string]article
	pages       []pageScore
	durations   []time.Duration // per page, sorted
	total       time.Duration
	precision   float64
	recall      float64
	f1          float64
}

type pageScore struct {
	id, url       string
	f1, precision float64
	recall        float64
}

// evalExtraction extracts the main content of every page, one at a time so
// that the timings are those of one core, and scores the result.
func evalExtraction(ctx context.Context, corpus []corpusPage, format render.Format) (*evalRun, error) {
	x := extract.New()
	run := &evalRun{predictions: make(map[string]article, len(corpus))}
	req := &render.Request{Formats: []render.Format{format}, OnlyMainContent: true}
	for _, p := range corpus {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := time.Now()
		res, err := x.Extract(&render.Page{URL: p.truth.URL, HTML: p.html}, req)
		d := time.Since(start)
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", p.id, err)
		}
		run.durations = append(run.durations, d)
		run.total += d
		body := res.Text
		if format == render.FormatMarkdown {
			body = res.Markdown
		}
		run.predictions[p.id] = article{ArticleBody: body}
	}
	slices.Sort(run.durations)
	run.score(corpus)
	return run, nil
}

// score computes the benchmark's figures, as score-extraction.py does:
// word 4-gram shingles per page, true and false positives normalised per
// page, precision averaged over pages with output, recall over pages with
// truth, and F1 from the two averages.
func (run *evalRun) score(corpus []corpusPage) {
	var precisions, recalls []float64
	for _, p := range corpus {
		tp, fp, fn := shingleCounts(p.truth.ArticleBody, run.predictions[p.id].ArticleBody)
		precision, recall := 1.0, 1.0
		if fp != 0 || fn != 0 {
			precision, recall = ratio(tp, fp), ratio(tp, fn)
		}
		if tp+fp > 0 {
			precisions = append(precisions, precision)
		}
		if tp+fn > 0 {
			recalls = append(recalls, recall)
		}
		run.pages = append(run.pages, pageScore{id: p.id, url: p.truth.URL, f1: harmonic(precision, recall), precision: precision, recall: recall})
	}
	run.precision, run.recall = mean(precisions), mean(recalls)
	run.f1 = harmonic(run.precision, run.recall)
	slices.SortStableFunc(run.pages, func(a, b pageScore) int {
		switch {
		case a.f1 < b.f1:
			return -1
		case a.f1 > b.f1:
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
}

// shingleCounts returns the shares of true positive, false positive and
// false negative word 4-grams of a prediction, counted with multiplicity.
// Words are runs of letters, digits and underscores, as Python's \w.
func shingleCounts(truth, prediction string) (tp, fp, fn float64) {
	t, p := shingles(truth), shingles(prediction)
	var hit, extra, missed int
	for s, n := range p {
		common := min(n, t[s])
		hit += common
		extra += n - common
	}
	for s, n := range t {
		missed += max(0, n-p[s])
	}
	total := float64(hit + extra + missed)
	if total == 0 {
		return 0, 0, 0
	}
	return float64(hit) / total, float64(extra) / total, float64(missed) / total
}

func shingles(text string) map[string]int {
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '_'
	})
	counts := map[string]int{}
	if len(words) < 4 {
		if len(words) > 0 {
			counts[strings.Join(words, "\x00")]++
		}
		return counts
	}
	for i := 0; i+4 <= len(words); i++ {
		counts[strings.Join(words[i:i+4], "\x00")]++
	}
	return counts
}

func ratio(hit, miss float64) float64 {
	if hit+miss == 0 {
		return 0
	}
	return hit / (hit + miss)
}

func harmonic(a, b float64) float64 {
	if a+b == 0 {
		return 0
	}
	return 2 * a * b / (a + b)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// report prints the timings, the worst pages and the score.
func (run *evalRun) report(w io.Writer, worst int) {
	n := len(run.durations)
	if n == 0 {
		fmt.Fprintln(w, "no pages")
		return
	}
	at := func(q float64) time.Duration { return run.durations[min(n-1, int(q*float64(n)))] }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pages\tpages/s\tmedian ms\tp90 ms\tmax ms\ttotal ms\t")
	fmt.Fprintf(tw, "%d\t%.0f\t%s\t%s\t%s\t%s\t\n", n, float64(n)/run.total.Seconds(), ms(at(0.5)), ms(at(0.9)), ms(run.durations[n-1]), ms(run.total))
	tw.Flush()
	fmt.Fprintln(w)
	for _, p := range run.pages[:min(worst, len(run.pages))] {
		fmt.Fprintf(w, "worst f1=%.3f p=%.3f r=%.3f %s %s\n", p.f1, p.precision, p.recall, p.id, p.url)
	}
	fmt.Fprintf(w, "pages=%d precision=%.4f recall=%.4f\n", len(run.pages), run.precision, run.recall)
	fmt.Fprintf(w, "f1=%.4f\n", run.f1)
}
