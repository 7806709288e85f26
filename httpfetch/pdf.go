package httpfetch

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sous-dev/sous/render"
)

// PDFs are read by poppler's pdftotext (Debian's poppler-utils), run as a
// child process for each document, rather than by a Go library: poppler is
// the reader most PDF viewers on Linux are built on, maintained, and it
// copes with the PDFs found in the wild (broken cross-reference tables,
// odd fonts and encodings) that the pure-Go readers give up on or panic
// over. Its -bbox-layout output gives the text in blocks with the box of
// every line, from which paragraphs and, by their height, headings follow;
// -htmlmeta gives the title and author.
//
// A hostile PDF (a decompression bomb, nesting past any parser's stack, a
// page a million points wide) can cost a reader unbounded CPU and memory,
// so the child runs sandboxed: under prlimit (address space, CPU seconds,
// no files written, few descriptors, no core), in its own process group
// that is killed as a whole when its time is up or the request ends, with
// a parent-death signal so it never outlives the service, an empty
// environment, and the document passed as an in-memory file (memfd), so
// nothing is written to disk. Poppler itself has no network code.
type pdfReader struct {
	pdftotext, pdfinfo, prlimit string
	limits                      PDFLimits
}

// PDFLimits bound the reading of one PDF. Zero values mean the defaults.
type PDFLimits struct {
	// MaxPages is how many pages are read; later pages are left out with
	// a warning. Default 200.
	MaxPages int
	// Timeout bounds the reader's wall time, inside the request's
	// deadline. Default 20 s.
	Timeout time.Duration
	// CPU bounds its processor time. Default 20 s.
	CPU time.Duration
	// Memory caps its address space. Default 1 GiB.
	Memory uint64
	// MaxOutput caps the reader's output (its text with a box for every
	// word), past which the document is refused. Default 64 MiB.
	MaxOutput int64
}

func (l PDFLimits) withDefaults() PDFLimits {
	if l.MaxPages == 0 {
		l.MaxPages = DefaultPDFMaxPages
	}
	if l.Timeout == 0 {
		l.Timeout = 20 * time.Second
	}
	if l.CPU == 0 {
		l.CPU = 20 * time.Second
	}
	if l.Memory == 0 {
		l.Memory = 1 << 30
	}
	if l.MaxOutput == 0 {
		l.MaxOutput = 64 << 20
	}
	return l
}

// newPDFReader finds poppler's tools and prlimit on PATH; a missing tool is
// reported when a PDF arrives, not before, since most pages are HTML.
func newPDFReader(limits PDFLimits) *pdfReader {
	r := &pdfReader{limits: limits.withDefaults()}
	r.pdftotext, _ = exec.LookPath("pdftotext")
	r.pdfinfo, _ = exec.LookPath("pdfinfo")
	r.prlimit, _ = exec.LookPath("prlimit")
	return r
}

// errPDFReader is a PDF this service cannot read for want of its tools.
var errPDFReader = errors.New("this service cannot read PDFs: install poppler-utils (pdftotext) and util-linux (prlimit)")

// pdfDocument is what reading a PDF gives: its text as HTML, and what it
// says of itself.
type pdfDocument struct {
	html, title string
	pages       int
	warnings    []string
}

// read turns a PDF into HTML: blocks become paragraphs, blocks set larger
// than the body text become headings.
func (r *pdfReader) read(ctx context.Context, data []byte) (*pdfDocument, error) {
	if r.pdftotext == "" || r.prlimit == "" {
		return nil, fmt.Errorf("%w: %w", render.ErrNavigation, errPDFReader)
	}
	out, err := r.run(ctx, r.pdftotext, data, "-bbox-layout", "-htmlmeta", "-enc", "UTF-8", "-q", "-l", strconv.Itoa(r.limits.MaxPages))
	if err != nil {
		return nil, err
	}
	doc, err := parseBBox(out)
	if err != nil {
		return nil, fmt.Errorf("%w: the PDF could not be read: %v", render.ErrNavigation, err)
	}
	if doc.pages >= r.limits.MaxPages && r.pdfinfo != "" {
		if n := r.pageCount(ctx, data); n > doc.pages {
			doc.warnings = append(doc.warnings, fmt.Sprintf("the PDF has %d pages; Sous read the first %d", n, doc.pages))
			doc.pages = n
		}
	}
	return doc, nil
}

// pageCount asks pdfinfo how many pages the document has, or returns 0.
func (r *pdfReader) pageCount(ctx context.Context, data []byte) int {
	out, err := r.run(ctx, r.pdfinfo, data)
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// run runs one poppler tool over data under the limits, and returns what it
// wrote to standard output.
func (r *pdfReader) run(ctx context.Context, tool string, data []byte, args ...string) ([]byte, error) {
	fd, err := unix.MemfdCreate("sous-pdf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("pdf: memfd: %w", err)
	}
	file := os.NewFile(uintptr(fd), "sous-pdf")
	defer file.Close()
	if _, err := file.Write(data); err != nil {
		return nil, fmt.Errorf("pdf: memfd: %w", err)
	}

	ctx, cancel := context.WithTimeoutCause(ctx, r.limits.Timeout, errReaderTimeout)
	defer cancel()
	lim := r.limits
	cmdArgs := []string{
		"--as=" + strconv.FormatUint(lim.Memory, 10),
		"--cpu=" + strconv.Itoa(int(math.Ceil(lim.CPU.Seconds()))),
		"--fsize=0", "--core=0", "--nofile=64",
		"--", tool,
	}
	cmdArgs = append(cmdArgs, args...)
	// The document is the child's descriptor 3 (ExtraFiles); a path to it
	// lets poppler open and seek it like a file.
	cmdArgs = append(cmdArgs, "/dev/fd/3")
	if tool == r.pdftotext {
		cmdArgs = append(cmdArgs, "-") // to standard output
	}
	cmd := exec.Command(r.prlimit, cmdArgs...)
	cmd.ExtraFiles = []*os.File{file}
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8"}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4 << 10}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pdf: start %s: %w", tool, err)
	}
	// Kill the whole group when the time is up or the request ends; the
	// read below then sees end of file.
	stop := context.AfterFunc(ctx, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	out, readErr := io.ReadAll(io.LimitReader(stdout, lim.MaxOutput+1))
	tooLarge := int64(len(out)) > lim.MaxOutput
	if tooLarge {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		io.Copy(io.Discard, stdout)
	}
	waitErr := cmd.Wait()
	stop()
	switch {
	case tooLarge:
		return nil, fmt.Errorf("%w: the PDF's text is larger than the limit of %d bytes", render.ErrNavigation, lim.MaxOutput)
	case context.Cause(ctx) == errReaderTimeout:
		return nil, fmt.Errorf("%w: reading the PDF took longer than %v", render.ErrNavigation, lim.Timeout)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("pdf: %w", ctx.Err())
	case readErr != nil:
		return nil, fmt.Errorf("pdf: read: %w", readErr)
	case waitErr != nil:
		return nil, fmt.Errorf("%w: the PDF could not be read: %s", render.ErrNavigation, explainExit(waitErr, stderr.String()))
	}
	return out, nil
}

// errReaderTimeout ends a reader that ran past PDFLimits.Timeout.
var errReaderTimeout = errors.New("pdf reader timed out")

// explainExit says why the reader failed, in words a caller can act on.
func explainExit(err error, stderr string) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			switch ws.Signal() {
			case syscall.SIGXCPU, syscall.SIGKILL:
				return "the reader ran out of time"
			case syscall.SIGSEGV, syscall.SIGABRT:
				return "the reader ran out of memory or crashed"
			}
			return "the reader was stopped by " + ws.Signal().String()
		}
	}
	// Poppler's exit codes (its -q keeps the messages, thousands of lines
	// for some files, to itself).
	if errors.As(err, &exit) {
		switch exit.ExitCode() {
		case 1:
			return "it is damaged or not a PDF"
		case 3:
			return "it is encrypted"
		}
	}
	if msg := strings.TrimSpace(stderr); msg != "" {
		return clipText(msg, 200)
	}
	return err.Error()
}

// limitedWriter keeps the first n bytes written to it and drops the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// The shape of pdftotext -bbox-layout -htmlmeta: XHTML whose head has the
// title and meta tags, whose body has doc > page > flow > block > line > word.
type bboxDocument struct {
	Title string     `xml:"head>title"`
	Meta  []bboxMeta `xml:"head>meta"`
	Pages []bboxPage `xml:"body>doc>page"`
}

type bboxMeta struct {
	Name    string `xml:"name,attr"`
	Content string `xml:"content,attr"`
}

type bboxPage struct {
	Flows []struct {
		Blocks []bboxBlock `xml:"block"`
	} `xml:"flow"`
}

type bboxBlock struct {
	Lines []bboxLine `xml:"line"`
}

type bboxLine struct {
	YMin  float64  `xml:"yMin,attr"`
	YMax  float64  `xml:"yMax,attr"`
	Words []string `xml:"word"`
}

// block is one block of text of the document, with the height of its
// tallest line, which stands for its type size.
type block struct {
	text   string
	height float64
	lines  int
}

// parseBBox turns pdftotext's output into HTML.
func parseBBox(out []byte) (*pdfDocument, error) {
	var d bboxDocument
	dec := xml.NewDecoder(bytes.NewReader(out))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	if err := dec.Decode(&d); err != nil {
		return nil, err
	}
	doc := &pdfDocument{title: strings.TrimSpace(d.Title), pages: len(d.Pages)}
	author := ""
	for _, m := range d.Meta {
		if strings.EqualFold(m.Name, "author") {
			author = strings.TrimSpace(m.Content)
		}
	}
	var blocks []block
	for _, p := range d.Pages {
		for _, f := range p.Flows {
			for _, b := range f.Blocks {
				if blk, ok := readBlock(b); ok {
					blocks = append(blocks, blk)
				}
			}
		}
	}
	if len(blocks) == 0 && doc.pages > 0 {
		doc.warnings = append(doc.warnings, "the PDF has no text layer (a scan or images only); Sous does not read text in images")
	}
	doc.html = documentHTML(doc.title, author, blocks)
	return doc, nil
}

func readBlock(b bboxBlock) (block, bool) {
	var lines []string
	height := 0.0
	for _, l := range b.Lines {
		words := strings.Join(strings.Fields(strings.Join(l.Words, " ")), " ")
		if words == "" {
			continue
		}
		lines = append(lines, words)
		height = max(height, l.YMax-l.YMin)
	}
	if len(lines) == 0 {
		return block{}, false
	}
	// A word split by a hyphen at the end of a line is joined again.
	var text strings.Builder
	for i, l := range lines {
		if i > 0 {
			prev := lines[i-1]
			if strings.HasSuffix(prev, "-") && len(prev) > 1 && startsLower(l) {
				s := text.String()
				text.Reset()
				text.WriteString(s[:len(s)-1])
			} else {
				text.WriteByte(' ')
			}
		}
		text.WriteString(l)
	}
	return block{text: text.String(), height: height, lines: len(lines)}, true
}

func startsLower(s string) bool {
	for _, r := range s {
		return r >= 'a' && r <= 'z'
	}
	return false
}

// documentHTML writes the blocks as HTML: a block of at most three short
// lines set at least a fifth larger than the body text is a heading, the
// largest such size h1, the next h2, smaller ones h3; the rest are
// paragraphs. The body size is the height most of the text is set in.
func documentHTML(title, author string, blocks []block) string {
	body := bodyHeight(blocks)
	var sizes []float64
	isHeading := func(b block) bool {
		return body > 0 && b.height >= body*1.2 && b.lines <= 3 && len(b.text) <= 200
	}
	for _, b := range blocks {
		if isHeading(b) && !slices.ContainsFunc(sizes, func(s float64) bool { return math.Abs(s-b.height) < 0.5 }) {
			sizes = append(sizes, b.height)
		}
	}
	slices.SortFunc(sizes, func(a, b float64) int { return int(math.Copysign(1, b-a)) })
	level := func(h float64) int {
		for i, s := range sizes {
			if math.Abs(s-h) < 0.5 {
				return min(i+1, 3)
			}
		}
		return 3
	}
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><meta charset=\"utf-8\">")
	if title != "" {
		fmt.Fprintf(&b, "<title>%s</title>", html.EscapeString(title))
	}
	if author != "" {
		fmt.Fprintf(&b, `<meta name="author" content="%s">`, html.EscapeString(author))
	}
	b.WriteString("</head><body>\n")
	for _, blk := range blocks {
		if isHeading(blk) {
			n := level(blk.height)
			fmt.Fprintf(&b, "<h%d>%s</h%d>\n", n, html.EscapeString(blk.text), n)
			continue
		}
		fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(blk.text))
	}
	b.WriteString("</body></html>")
	return b.String()
}

// bodyHeight is the line height that carries the most characters.
func bodyHeight(blocks []block) float64 {
	weight := map[float64]int{}
	for _, b := range blocks {
		weight[math.Round(b.height*2)/2] += len(b.text)
	}
	best, most := 0.0, -1
	for h, w := range weight {
		if w > most || w == most && h < best {
			best, most = h, w
		}
	}
	return best
}
