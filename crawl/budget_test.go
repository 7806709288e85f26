package crawl_test

import (
	"strings"
	"testing"

	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/fixtures"
)

// A job whose records fill its byte budget ends as cancelled_due_to_limits,
// keeping what it has and saying why; when all jobs' records fill the
// service's budget, the oldest ended job's content goes, its URLs and
// statuses staying.
func TestCrawlByteBudgets(t *testing.T) {
	off := false
	html := func(limit int) *crawl.Request {
		return &crawl.Request{URL: site.URL + "/site/", Limit: limit, Render: &off, Formats: []crawl.Format{crawl.FormatHTML}}
	}

	t.Run("one job", func(t *testing.T) {
		m := newManager(t, crawl.Options{MaxJobBytes: 1500, MaxTotalBytes: 1 << 20})
		_, res := run(t, m, html(50))
		if res.Status != crawl.JobCancelledLimits || !strings.Contains(res.Error, "byte budget of 1500 bytes") {
			t.Fatalf("a job past its budget: %s, %q", res.Status, res.Error)
		}
		kept := 0
		for _, r := range res.Records {
			if r.Status == crawl.RecordCompleted && r.HTML != "" {
				kept++
			}
		}
		if kept == 0 || kept == len(completedPages()) {
			t.Errorf("%d pages kept with their content; want some, not all", kept)
		}
	})

	t.Run("all jobs", func(t *testing.T) {
		m := newManager(t, crawl.Options{MaxJobBytes: 1 << 20, MaxTotalBytes: 3000})
		first, res := run(t, m, html(3))
		if res.Status != crawl.JobCompleted {
			t.Fatalf("first job: %s %q", res.Status, res.Error)
		}
		_, res = run(t, m, html(3))
		if res.Status != crawl.JobCompleted {
			t.Fatalf("second job: %s %q", res.Status, res.Error)
		}
		old := first.Result(crawl.Page{})
		if !strings.Contains(old.Error, "content was dropped") {
			t.Errorf("the first job, after a second filled the budget: error %q", old.Error)
		}
		for _, r := range old.Records {
			if r.HTML != "" || r.URL == "" || r.Status == "" {
				t.Errorf("a dropped record: %+v", r)
			}
		}
	})
}

// completedPages are the fixture site's pages a whole crawl completes.
func completedPages() []string {
	var pages []string
	for u, status := range fixtures.CrawlSite {
		if status == "completed" {
			pages = append(pages, u)
		}
	}
	return pages
}
