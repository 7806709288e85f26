package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

// evalCommand measures the extractor against corpora with ground truth.
// Its one subcommand, "extraction", runs main-content extraction over each
// corpus it is given (by default both shared corpora beside the module) and
// prints timings, memory, F1 by page type and the worst pages:
//
//	sous eval extraction                                   # both shared corpora
//	sous eval extraction ../shared/corpus/wcxb-dev -o predictions.json
//	python3 ../shared/tools/score-wcxb.py ../shared/corpus/wcxb-dev predictions.json --per-type
//
// Two corpus shapes are read. An article-extraction corpus
// (DIR/ground-truth.json, DIR/html/ID.html.gz) is scored as its scorer
// does, by word 4-gram F1 with precision and recall averaged separately; a
// WCXB corpus (DIR/ground-truth/ID.json, DIR/html/ID.html.gz) by
// bag-of-words F1 averaged over pages, per page type. For WCXB the table
// also splits the pages by odd and even ID: tuning on one half and
// checking on the other shows how much of a gain is general.
func evalCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "extraction" {
		return &usageError{command: "eval extraction", problem: "eval has one subcommand: sous eval extraction [DIR...]"}
	}
	fs := newFlagSet("eval extraction", "eval extraction [flags] [DIR...]\n\n"+
		"Extracts the main content of every page of each corpus without a browser\n"+
		"and prints timings, memory, F1 by page type and the worst pages. A corpus is\n"+
		"an article-extraction one (DIR/ground-truth.json) or a WCXB one\n"+
		"(DIR/ground-truth/ID.json); both have DIR/html/ID.html.gz. Without DIR, the\n"+
		"shared corpora beside the module (../shared/corpus/article-extraction and\n"+
		"../shared/corpus/wcxb-dev) are used.", stdout)
	out := fs.String("o", "", "write the predictions to this file, in the corpus's scorer's shape (one corpus only)")
	format := fs.String("f", "text", "the format that is scored: text or markdown")
	worst := fs.Int("worst", 10, "list this many pages with the lowest F1")
	every := fs.Int("every", 1, "score only every n-th page in ID order, for a quick look")
	browser := fs.Bool("browser", false, "render each page in Chromium first, as html input with default options (settle, scroll pass, frames, overlays; inline scripts run, subresources are not loaded), and extract from what the browser read")
	chrome := fs.String("chrome", "", "Chromium executable, with --browser")
	dirs, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if *format != "text" && *format != "markdown" {
		return fs.usageError("-f: want text or markdown, not %q", *format)
	}
	if len(dirs) == 0 {
		dirs = defaultCorpora()
		if len(dirs) == 0 {
			return fs.usageError("no corpus given and none found in ../shared/corpus")
		}
	}
	if *out != "" && len(dirs) != 1 {
		return fs.usageError("-o takes the predictions of one corpus, got %d", len(dirs))
	}
	extractPage := extractOnly(extract.New())
	if *browser {
		pool, err := browserpool.New(ctx, browserpool.Options{ExecPath: *chrome, Tabs: 2})
		if err != nil {
			return err
		}
		defer pool.Close()
		svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 2})
		if err != nil {
			return err
		}
		extractPage = renderFirst(svc)
	}
	for i, dir := range dirs {
		corpus, err := loadCorpus(dir, *every)
		if err != nil {
			return err
		}
		run, err := evalExtraction(ctx, corpus, render.Format(*format), extractPage)
		if err != nil {
			return err
		}
		if *out != "" {
			if err := run.writePredictions(*out); err != nil {
				return err
			}
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "== %s (%s)\n", dir, corpus.kind)
		run.report(stdout, *worst)
	}
	return nil
}

// defaultCorpora returns the shared corpora that exist beside the module,
// looked for from the working directory and its parents.
func defaultCorpora() []string {
	dir, err := os.Getwd()
	if err != nil {
		return nil
	}
	for {
		shared := filepath.Join(dir, "..", "shared", "corpus")
		var found []string
		for _, name := range []string{"article-extraction", "wcxb-dev"} {
			if _, err := os.Stat(filepath.Join(shared, name, "html")); err == nil {
				found = append(found, filepath.Join(shared, name))
			}
		}
		if len(found) > 0 {
			return found
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

// corpusKind says how a corpus's truth is written and scored.
type corpusKind string

const (
	// articleCorpus: one ground-truth.json of {ID: {articleBody, url}},
	// scored by word 4-gram F1 (score-extraction.py).
	articleCorpus corpusKind = "article-extraction"
	// wcxbCorpus: ground-truth/ID.json per page, with its page type,
	// scored by bag-of-words F1 averaged over pages (score-wcxb.py).
	wcxbCorpus corpusKind = "wcxb"
)

// article is one page of an article-extraction corpus, in the shape of its
// ground-truth file (and of the predictions, which carry articleBody only).
type article struct {
	ArticleBody string `json:"articleBody"`
	URL         string `json:"url,omitempty"`
}

// corpus is a set of pages with their ground truth.
type corpus struct {
	kind  corpusKind
	pages []corpusPage
}

// corpusPage is a page of a corpus with its HTML.
type corpusPage struct {
	id, url  string
	truth    string
	pageType string // WCXB only
	html     string
}

// loadCorpus reads a corpus of either kind: every page when every is 1 or
// less, else every every-th page in the order of their IDs, whose HTML
// alone is read (unzipping the pages is most of the cost of a small sample).
func loadCorpus(dir string, every int) (*corpus, error) {
	every = max(every, 1)
	if _, err := os.Stat(filepath.Join(dir, "ground-truth.json")); err == nil {
		return loadArticleCorpus(dir, every)
	}
	if _, err := os.Stat(filepath.Join(dir, "ground-truth")); err == nil {
		return loadWCXBCorpus(dir, every)
	}
	return nil, fmt.Errorf("%s: neither ground-truth.json nor ground-truth/: not a corpus", dir)
}

// loadArticleCorpus reads DIR/ground-truth.json and, for every every-th of
// its pages, DIR/html/ID.html.gz (or ID.html).
func loadArticleCorpus(dir string, every int) (*corpus, error) {
	b, err := os.ReadFile(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		return nil, err
	}
	var truth map[string]article
	if err := json.Unmarshal(b, &truth); err != nil {
		return nil, fmt.Errorf("ground-truth.json: %w", err)
	}
	ids := slices.Sorted(maps.Keys(truth))
	c := &corpus{kind: articleCorpus}
	for i := 0; i < len(ids); i += every {
		id, t := ids[i], truth[ids[i]]
		doc, err := readPage(filepath.Join(dir, "html", id))
		if err != nil {
			return nil, err
		}
		c.pages = append(c.pages, corpusPage{id: id, url: t.URL, truth: t.ArticleBody, html: doc})
	}
	return c, nil
}

// wcxbTruth is the part of a WCXB ground-truth file the scorer reads.
type wcxbTruth struct {
	URL      string `json:"url"`
	Internal struct {
		PageType json.RawMessage `json:"page_type"`
	} `json:"_internal"`
	GroundTruth struct {
		MainContent string `json:"main_content"`
	} `json:"ground_truth"`
}

// loadWCXBCorpus reads DIR/ground-truth/ID.json and DIR/html/ID.html.gz
// for every every-th page.
func loadWCXBCorpus(dir string, every int) (*corpus, error) {
	files, err := filepath.Glob(filepath.Join(dir, "ground-truth", "*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	c := &corpus{kind: wcxbCorpus}
	for i := 0; i < len(files); i += every {
		f := files[i]
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var t wcxbTruth
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		id := strings.TrimSuffix(filepath.Base(f), ".json")
		doc, err := readPage(filepath.Join(dir, "html", id))
		if err != nil {
			return nil, err
		}
		c.pages = append(c.pages, corpusPage{id: id, url: t.URL, truth: t.GroundTruth.MainContent,
			pageType: wcxbPageType(t.Internal.PageType), html: doc})
	}
	return c, nil
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

// wcxbPageType reads the page type as score-wcxb.py does: a string or an
// object's "primary", "article" when absent, "category" read as
// "collection".
func wcxbPageType(raw json.RawMessage) string {
	var t string
	if json.Unmarshal(raw, &t) != nil {
		var obj struct {
			Primary string `json:"primary"`
		}
		if json.Unmarshal(raw, &obj) == nil {
			t = obj.Primary
		}
	}
	switch t {
	case "":
		return "article"
	case "category":
		return "collection"
	}
	return t
}

// evalRun is the outcome of one pass over a corpus.
type evalRun struct {
	kind corpusKind
	// predictions are the extracted bodies by page ID.
	predictions map[string]string
	pages       []pageScore     // worst first
	durations   []time.Duration // per page, sorted
	total       time.Duration
	allocated   uint64   // bytes allocated by all extractions
	warned      int      // warnings the results carried (a browser's)
	failed      []string // pages whose render or extraction failed, with the error
	precision   float64
	recall      float64
	f1          float64
}

type pageScore struct {
	id, url   string
	pageType  string // the truth's
	predicted string // metadata.pageType
	f1        float64
	precision float64
	recall    float64
}

// evalExtraction extracts the main content of every page, one at a time so
// that the timings are those of one core, and scores the result. Each
// page's allocations are counted; reading them stops the world, but
// outside the timed call.
// pageExtractor makes the result of req for one corpus page.
type pageExtractor func(ctx context.Context, url, html string, req *render.Request) (*render.Result, error)

// extractOnly extracts from the page's HTML as it is, with no browser.
func extractOnly(x *extract.Extractor) pageExtractor {
	return func(_ context.Context, url, html string, req *render.Request) (*render.Result, error) {
		return x.Extract(&render.Page{URL: url, HTML: html}, req)
	}
}

// renderFirst renders the page's HTML in the browser with default options
// (html input, no cache) and extracts from what the browser read. The
// pages are saved copies: their subresources are not loaded (a request
// for one fails at once), which is what an offline machine would do
// slowly, one DNS timeout at a time; inline scripts run.
func renderFirst(svc *render.Service) pageExtractor {
	return func(ctx context.Context, _, html string, req *render.Request) (*render.Result, error) {
		r := *req
		zero := 0
		r.HTML, r.Engine, r.CacheTTL = html, render.EngineBrowser, &zero
		r.AllowRequestPattern = []string{"^data:"} // no network request matches
		r.GotoOptions = &render.GotoOptions{Timeout: 15000}
		return svc.Render(ctx, &r)
	}
}

func evalExtraction(ctx context.Context, c *corpus, format render.Format, extractPage pageExtractor) (*evalRun, error) {
	run := &evalRun{kind: c.kind, predictions: make(map[string]string, len(c.pages))}
	req := &render.Request{Formats: []render.Format{format, render.FormatMetadata}, OnlyMainContent: true}
	predicted := make(map[string]string, len(c.pages))
	var before, after runtime.MemStats
	for _, p := range c.pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		runtime.ReadMemStats(&before)
		start := time.Now()
		res, err := extractPage(ctx, p.url, p.html, req)
		d := time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			// A page that fails is scored as empty, and listed.
			run.failed = append(run.failed, fmt.Sprintf("%s: %v", p.id, err))
			res = &render.Result{}
		}
		run.warned += len(res.Meta.Warnings)
		run.durations = append(run.durations, d)
		run.total += d
		run.allocated += after.TotalAlloc - before.TotalAlloc
		body := res.Text
		if format == render.FormatMarkdown {
			body = res.Markdown
		}
		run.predictions[p.id] = body
		if res.Metadata != nil {
			predicted[p.id] = res.Metadata.PageType
		}
	}
	slices.Sort(run.durations)
	if c.kind == wcxbCorpus {
		run.scoreWords(c, predicted)
	} else {
		run.scoreShingles(c)
	}
	return run, nil
}

// writePredictions writes the predictions in the shape the corpus's scorer
// reads: {ID: {"articleBody": ...}} for an article-extraction corpus,
// {ID: text} for WCXB.
func (run *evalRun) writePredictions(path string) error {
	var v any = run.predictions
	if run.kind == articleCorpus {
		articles := make(map[string]article, len(run.predictions))
		for id, body := range run.predictions {
			articles[id] = article{ArticleBody: body}
		}
		v = articles
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// scoreShingles computes the article benchmark's figures, as
// score-extraction.py does: word 4-gram shingles per page, true and false
// positives normalised per page, precision averaged over pages with
// output, recall over pages with truth, and F1 from the two averages.
func (run *evalRun) scoreShingles(c *corpus) {
	var precisions, recalls []float64
	for _, p := range c.pages {
		tp, fp, fn := shingleCounts(p.truth, run.predictions[p.id])
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
		run.pages = append(run.pages, pageScore{id: p.id, url: p.url, f1: harmonic(precision, recall), precision: precision, recall: recall})
	}
	run.precision, run.recall = mean(precisions), mean(recalls)
	run.f1 = harmonic(run.precision, run.recall)
	run.sortWorstFirst()
}

// scoreWords computes WCXB's figures, as score-wcxb.py does: lower-cased
// word tokens, bag-of-words precision, recall and F1 per page, each
// averaged over pages; a page with no truth scores 1 only for no output.
func (run *evalRun) scoreWords(c *corpus, predicted map[string]string) {
	var precisions, recalls, f1s []float64
	for _, p := range c.pages {
		precision, recall, f1 := wordScores(p.truth, run.predictions[p.id])
		precisions, recalls, f1s = append(precisions, precision), append(recalls, recall), append(f1s, f1)
		run.pages = append(run.pages, pageScore{id: p.id, url: p.url, pageType: p.pageType, predicted: predicted[p.id],
			f1: f1, precision: precision, recall: recall})
	}
	run.precision, run.recall, run.f1 = mean(precisions), mean(recalls), mean(f1s)
	run.sortWorstFirst()
}

func (run *evalRun) sortWorstFirst() {
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

// wordScores is score-wcxb.py's prf: bag-of-words precision, recall and
// F1 of a prediction, words being lower-cased runs of letters, digits and
// underscores.
func wordScores(truth, prediction string) (precision, recall, f1 float64) {
	t, p := words(truth), words(prediction)
	if len(t) == 0 {
		if len(p) == 0 {
			return 1, 1, 1
		}
		return 0, 0, 0
	}
	if len(p) == 0 {
		return 0, 0, 0
	}
	counts := make(map[string]int, len(t))
	for _, w := range t {
		counts[w]++
	}
	hit := 0
	for _, w := range p {
		if counts[w] > 0 {
			counts[w]--
			hit++
		}
	}
	precision, recall = float64(hit)/float64(len(p)), float64(hit)/float64(len(t))
	return precision, recall, harmonic(precision, recall)
}

func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !isWordRune(r)
	})
}

// isWordRune is Python's \w: letters, digits (of any script, as Unicode
// numbers) and the underscore; combining marks count too.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || r == '_'
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

// report prints the timings and memory, the score by page type (WCXB),
// the worst pages and the score.
func (run *evalRun) report(w io.Writer, worst int) {
	n := len(run.durations)
	if n == 0 {
		fmt.Fprintln(w, "no pages")
		return
	}
	at := func(q float64) time.Duration { return run.durations[min(n-1, int(q*float64(n)))] }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pages\tpages/s\tmedian ms\tp90 ms\tp99 ms\tmax ms\ttotal ms\tMB alloc/page\t")
	fmt.Fprintf(tw, "%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%.2f\t\n", n, float64(n)/run.total.Seconds(), ms(at(0.5)), ms(at(0.9)),
		ms(at(0.99)), ms(run.durations[n-1]), ms(run.total), float64(run.allocated)/float64(n)/(1<<20))
	tw.Flush()
	fmt.Fprintln(w)
	if run.kind == wcxbCorpus {
		run.reportTypes(w)
		fmt.Fprintln(w)
	}
	for _, p := range run.pages[:min(worst, len(run.pages))] {
		kind := ""
		if p.pageType != "" {
			kind = fmt.Sprintf(" %s (as %s)", p.pageType, p.predicted)
		}
		fmt.Fprintf(w, "worst f1=%.3f p=%.3f r=%.3f %s%s %s\n", p.f1, p.precision, p.recall, p.id, kind, p.url)
	}
	for _, f := range run.failed {
		fmt.Fprintf(w, "failed %s\n", f)
	}
	fmt.Fprintf(w, "pages=%d precision=%.4f recall=%.4f warnings=%d errors=%d\n", len(run.pages), run.precision, run.recall, run.warned, len(run.failed))
	fmt.Fprintf(w, "f1=%.4f\n", run.f1)
}

// wcxbTypes are WCXB's page types in the order its scorer prints them.
var wcxbTypes = []string{"article", "forum", "product", "collection", "listing", "documentation", "service"}

// typeF1 is the mean F1 of the run's pages of each type of the truth, and
// of all of them under "all".
func (run *evalRun) typeF1() map[string]float64 {
	sum, n := map[string]float64{}, map[string]int{}
	for _, p := range run.pages {
		for _, t := range []string{p.pageType, "all"} {
			sum[t] += p.f1
			n[t]++
		}
	}
	f1 := map[string]float64{}
	for t := range sum {
		f1[t] = sum[t] / float64(n[t])
	}
	return f1
}

// reportTypes prints F1, precision and recall by page type, F1 on the
// pages of odd and of even ID, and how often metadata.pageType agrees
// with the truth's type.
func (run *evalRun) reportTypes(w io.Writer) {
	type sums struct {
		n, odd, even, agree int
		f1, p, r, f1Odd     float64
		f1Even              float64
	}
	byType := map[string]*sums{}
	all := &sums{}
	for _, p := range run.pages {
		s := byType[p.pageType]
		if s == nil {
			s = &sums{}
			byType[p.pageType] = s
		}
		for _, s := range []*sums{s, all} {
			s.n++
			s.f1 += p.f1
			s.p += p.precision
			s.r += p.recall
			if p.predicted == p.pageType {
				s.agree++
			}
			if odd(p.id) {
				s.odd++
				s.f1Odd += p.f1
			} else {
				s.even++
				s.f1Even += p.f1
			}
		}
	}
	types := slices.Clone(wcxbTypes)
	for t := range byType {
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	per := func(sum float64, n int) string {
		if n == 0 {
			return "-"
		}
		return fmt.Sprintf("%.3f", sum/float64(n))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\tpages\tf1\tprecision\trecall\tf1 odd\tf1 even\ttype agrees\t")
	row := func(name string, s *sums) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, s.n, per(s.f1, s.n), per(s.p, s.n), per(s.r, s.n),
			per(s.f1Odd, s.odd), per(s.f1Even, s.even), per(float64(s.agree), s.n))
	}
	for _, t := range types {
		if s := byType[t]; s != nil {
			row(t, s)
		}
	}
	row("all", all)
	tw.Flush()
	run.reportConfusion(w, types)
}

// reportConfusion prints, for each type of the truth, how many of its
// pages metadata.pageType calls each type.
func (run *evalRun) reportConfusion(w io.Writer, types []string) {
	predicted := slices.Clone(types)
	counts := map[[2]string]int{}
	for _, p := range run.pages {
		counts[[2]string{p.pageType, p.predicted}]++
		if !slices.Contains(predicted, p.predicted) {
			predicted = append(predicted, p.predicted)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "truth \\ pageType\t")
	for _, t := range predicted {
		fmt.Fprintf(tw, "%.5s\t", t)
	}
	fmt.Fprintln(tw)
	for _, truth := range types {
		fmt.Fprintf(tw, "%s\t", truth)
		for _, t := range predicted {
			fmt.Fprintf(tw, "%d\t", counts[[2]string{truth, t}])
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// odd reports whether a page ID ends in an odd digit.
func odd(id string) bool {
	return id != "" && (id[len(id)-1]-'0')%2 == 1
}
