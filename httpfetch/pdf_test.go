package httpfetch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/render"
)

func TestFetchPDF(t *testing.T) {
	f := httpfetch.New(httpfetch.Options{Guard: loopbackOnly(t)})
	defer f.Close()
	for _, tc := range []struct{ path, engine string }{
		{"/doc/report.pdf", "auto"},
		{"/doc/report.pdf", "http"},
		{"/doc/report-octet.pdf", "auto"}, // labelled application/octet-stream
	} {
		t.Run(tc.path+" "+tc.engine, func(t *testing.T) {
			page, err := fetch(t, f, &render.Request{URL: site.URL + tc.path, Engine: tc.engine})
			if err != nil {
				t.Fatal(err)
			}
			if page.ContentType != "application/pdf" || page.Pages != 2 || page.Title != fixtures.ReportTitle {
				t.Errorf("content type %q, %d pages, title %q; want application/pdf, 2, %q", page.ContentType, page.Pages, page.Title, fixtures.ReportTitle)
			}
			res, err := extract.New().Extract(page, &render.Request{Formats: []render.Format{"markdown", "metadata"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				"# " + fixtures.ReportTitle,
				"## Feeding",
				"## Results",
				"A starter is flour and water that wild yeast and lactic bacteria have settled in. This report follows one starter through a season.",
				"rose higher each week until the end of the season.",
			} {
				if !strings.Contains(res.Markdown, want) {
					t.Errorf("markdown lacks %q:\n%s", want, res.Markdown)
				}
			}
			if res.Metadata == nil || res.Metadata.Author != fixtures.ReportAuthor || res.Metadata.Title != fixtures.ReportTitle {
				t.Errorf("metadata %+v, want title %q and author %q", res.Metadata, fixtures.ReportTitle, fixtures.ReportAuthor)
			}
		})
	}
}

// Malformed and hostile PDFs end inside the reader's limits, with an error
// that says why or with what could be read, and leave no process behind.
func TestHostilePDFs(t *testing.T) {
	f := httpfetch.New(httpfetch.Options{Guard: loopbackOnly(t), PDF: httpfetch.PDFLimits{
		MaxPages: 50, Timeout: 15 * time.Second, CPU: 10 * time.Second, Memory: 512 << 20, MaxOutput: 8 << 20,
	}})
	defer f.Close()
	tests := []struct {
		name      string
		wantErr   bool   // an error wrapping render.ErrNavigation
		wantText  string // else text the page holds
		wantWarn  string
		wantPages int
	}{
		{name: "bomb.pdf", wantErr: true},
		{name: "broken.pdf", wantErr: true},
		{name: "deep.pdf", wantText: "deep", wantPages: 1},
		{name: "huge-page.pdf", wantText: "a very large page", wantPages: 1},
		{name: "many-pages.pdf", wantText: "page 50", wantWarn: "5000 pages; Sous read the first 50", wantPages: 5000},
		{name: "scan.pdf", wantWarn: "no text layer", wantPages: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Generous: it only guards against a hang, on a machine that may be busy.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			page, err := f.Fetch(ctx, &render.Request{URL: site.URL + "/doc/" + tc.name, Engine: "http"})
			t.Logf("%s: %v", tc.name, time.Since(start).Round(time.Millisecond))
			if left := childProcesses(t); len(left) > 0 {
				t.Errorf("processes left behind: %v", left)
			}
			if tc.wantErr {
				if !errors.Is(err, render.ErrNavigation) {
					t.Fatalf("err = %v, want a navigation error", err)
				}
				t.Logf("error: %v", err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(page.HTML, tc.wantText) || page.Pages != tc.wantPages {
				t.Errorf("%d pages, html %.300q; want %d pages and %q", page.Pages, page.HTML, tc.wantPages, tc.wantText)
			}
			if tc.wantWarn != "" && !strings.Contains(strings.Join(page.Warnings, "\n"), tc.wantWarn) {
				t.Errorf("warnings %q, want one saying %q", page.Warnings, tc.wantWarn)
			}
		})
	}
}

// childProcesses lists the commands of this process's children.
func childProcesses(t *testing.T) []string {
	t.Helper()
	tasks, err := filepath.Glob("/proc/self/task/*/children")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for pid := range strings.FieldsSeq(string(b)) {
			comm, _ := os.ReadFile("/proc/" + pid + "/comm")
			names = append(names, pid+" "+strings.TrimSpace(string(comm)))
		}
	}
	return names
}
