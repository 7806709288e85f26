package crawl

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sous-dev/sous/render"
)

// JobStatus is a job's state, with Cloudflare's names.
type JobStatus string

// The states of a job. Every one but JobRunning is final.
const (
	JobRunning   JobStatus = "running"
	JobCompleted JobStatus = "completed"
	// JobErrored is a crawl that could not go on: its request could not
	// be served (Result.Error says why).
	JobErrored JobStatus = "errored"
	// JobCancelledByUser is a job cancelled through Cancel.
	JobCancelledByUser JobStatus = "cancelled_by_user"
	// JobCancelledTimeout is a job that ran past Options.MaxDuration.
	JobCancelledTimeout JobStatus = "cancelled_due_to_timeout"
	// JobCancelledLimits is a job the service stopped: it was shutting down.
	JobCancelledLimits JobStatus = "cancelled_due_to_limits"
)

// RecordStatus is the state of one URL of a job, with Cloudflare's names.
type RecordStatus string

// The states of a record.
const (
	RecordQueued     RecordStatus = "queued"
	RecordCompleted  RecordStatus = "completed"
	RecordErrored    RecordStatus = "errored"    // the page failed to load, or answered an HTTP error
	RecordDisallowed RecordStatus = "disallowed" // robots.txt forbids it
	RecordSkipped    RecordStatus = "skipped"    // outside the crawl's scope or patterns
	RecordCancelled  RecordStatus = "cancelled"  // the job ended before it was fetched
)

// final reports whether a record in status s will not change again.
func (s RecordStatus) final() bool { return s != RecordQueued }

// Record is one URL of a job.
type Record struct {
	URL      string          `json:"url"`
	Status   RecordStatus    `json:"status"`
	Markdown string          `json:"markdown,omitempty"`
	HTML     string          `json:"html,omitempty"`
	JSON     json.RawMessage `json:"json,omitempty"`
	// Metadata is absent for a URL that was never fetched.
	Metadata *Metadata `json:"metadata,omitempty"`

	// Depth is how many links from the starting URL this one was found
	// (Sous's addition).
	Depth int `json:"depth"`
	// Error says why a record is errored or disallowed, or why its json
	// could not be made (Sous's addition).
	Error string `json:"error,omitempty"`
}

// Metadata is what fetching a page told about it.
type Metadata struct {
	// Status is the page's HTTP status.
	Status int `json:"status"`
	// URL is where the page was found, after redirects.
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
	// Charged is what the service paid for the page (pay-per-crawl's
	// crawler-charged, "USD 0.01"); Price what a page it did not pay for
	// asked (Sous's additions).
	Charged string `json:"charged,omitempty"`
	Price   string `json:"price,omitempty"`
}

// Payments are a job's pay-per-crawl totals (Sous's addition).
type Payments struct {
	// Paid counts the pages paid for, and Charged sums what they cost.
	Paid    int    `json:"paid"`
	Charged string `json:"charged"`
	// Refused counts the pages that asked a price the service did not pay.
	Refused int `json:"refused"`
}

// Result is a job as GET /crawl/{id} returns it: its state and one page of
// its records.
type Result struct {
	ID     string    `json:"id"`
	Status JobStatus `json:"status"`
	// BrowserSecondsUsed is the browser time the job's renders took.
	BrowserSecondsUsed float64 `json:"browserSecondsUsed"`
	// Total counts the job's URLs but the skipped ones; Finished those of
	// them in a final state; Skipped the skipped ones.
	Total    int      `json:"total"`
	Finished int      `json:"finished"`
	Skipped  int      `json:"skipped"`
	Records  []Record `json:"records"`
	// Cursor, when set, is where the next page of records starts.
	Cursor *int `json:"cursor,omitempty"`
	// Error says why a job errored (Sous's addition).
	Error string `json:"error,omitempty"`
	// Payments totals the job's pay-per-crawl pages; absent when none asked
	// to be paid.
	Payments *Payments `json:"payments,omitempty"`
}

// Page chooses which records a Result carries.
type Page struct {
	// Cursor is the index of the first record, among those Status selects.
	Cursor int
	// Limit is the most records; zero means as many as fit in MaxBytes.
	Limit int
	// Status, when set, selects the records in that state.
	Status RecordStatus
	// MaxBytes bounds the records' content in one Result; zero means 10 MB,
	// Cloudflare's limit. The first record is included whatever its size.
	MaxBytes int
}

// Progress is a job's counts at one moment.
type Progress struct {
	ID         string    `json:"id"`
	Status     JobStatus `json:"status"`
	Total      int       `json:"total"`
	Finished   int       `json:"finished"`
	Skipped    int       `json:"skipped"`
	Queued     int       `json:"queued"`
	Completed  int       `json:"completed"`
	Errored    int       `json:"errored"`
	Disallowed int       `json:"disallowed"`
	Cancelled  int       `json:"cancelled"`
	// Limit is the most URLs the job takes on.
	Limit int    `json:"limit"`
	Error string `json:"error,omitempty"`
}

// Ended reports whether the job is over.
func (p Progress) Ended() bool { return p.Status != JobRunning }

// Update is what changed in a job: its counts, and the records that reached
// a final state since the last update, in that order.
type Update struct {
	Progress
	Records []Record
}

// Job is one crawl. Its methods are safe for concurrent use.
type Job struct {
	id      string
	req     *Request
	created time.Time
	cancel  context.CancelCauseFunc
	done    chan struct{} // closed when the job has ended

	mu        sync.Mutex
	status    JobStatus
	err       string
	records   []Record
	order     []int // indexes of records in the order they became final
	counts    map[RecordStatus]int
	browserMs int64
	ended     time.Time
	changed   chan struct{} // closed and replaced on every change

	// budget counts the content of the records (nil: not counted), and
	// counted is how much of it is this job's, under budget's lock.
	budget  *byteBudget
	counted int64
}

func newJob(id string, req *Request, cancel context.CancelCauseFunc) *Job {
	return &Job{
		id:      id,
		req:     req,
		created: time.Now(),
		cancel:  cancel,
		done:    make(chan struct{}),
		status:  JobRunning,
		counts:  map[RecordStatus]int{},
		changed: make(chan struct{}),
	}
}

// ID is the job's identifier.
func (j *Job) ID() string { return j.id }

// Request is the job's request, with its defaults filled in. It is
// read-only.
func (j *Job) Request() *Request { return j.req }

// Done is closed when the job has ended.
func (j *Job) Done() <-chan struct{} { return j.done }

// Cancel stops the job, as DELETE /crawl/{id} does. Records still queued
// become cancelled. Cancelling an ended job does nothing.
func (j *Job) Cancel() { j.cancel(errCancelledByUser) }

// Wait blocks until the job ends or ctx does.
func (j *Job) Wait(ctx context.Context) error {
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Progress returns the job's counts now.
func (j *Job) Progress() Progress {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.progressLocked()
}

func (j *Job) progressLocked() Progress {
	c := j.counts
	return Progress{
		ID:         j.id,
		Status:     j.status,
		Total:      len(j.records) - c[RecordSkipped],
		Finished:   c[RecordCompleted] + c[RecordErrored] + c[RecordDisallowed] + c[RecordCancelled],
		Skipped:    c[RecordSkipped],
		Queued:     c[RecordQueued],
		Completed:  c[RecordCompleted],
		Errored:    c[RecordErrored],
		Disallowed: c[RecordDisallowed],
		Cancelled:  c[RecordCancelled],
		Limit:      j.req.Limit,
		Error:      j.err,
	}
}

// Since returns what changed after the first seen final records, the
// number seen now, and a channel closed at the next change. A watcher
// calls it in a loop: Since(0), then Since(next), … until Ended.
func (j *Job) Since(seen int) (u Update, next int, changed <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	u.Progress = j.progressLocked()
	seen = min(seen, len(j.order))
	for _, i := range j.order[seen:] {
		u.Records = append(u.Records, j.records[i])
	}
	return u, len(j.order), j.changed
}

// Watch calls fn with each update of the job, the first at once, until the
// job ends (after an update with Ended set), ctx ends, or fn returns an
// error. Updates that come faster than fn takes them are merged.
func (j *Job) Watch(ctx context.Context, fn func(Update) error) error {
	seen := 0
	for {
		u, next, changed := j.Since(seen)
		seen = next
		if err := fn(u); err != nil {
			return err
		}
		if u.Ended() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Result returns the job's state and the page of its records p selects.
func (j *Job) Result(p Page) *Result {
	if p.MaxBytes <= 0 {
		p.MaxBytes = 10 << 20
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	pr := j.progressLocked()
	res := &Result{
		ID:                 j.id,
		Status:             j.status,
		BrowserSecondsUsed: float64(j.browserMs) / 1000,
		Total:              pr.Total,
		Finished:           pr.Finished,
		Skipped:            pr.Skipped,
		Records:            []Record{},
		Error:              j.err,
		Payments:           payments(j.records),
	}
	index, size := 0, 0
	for _, r := range j.records {
		if p.Status != "" && r.Status != p.Status {
			continue
		}
		if index < p.Cursor {
			index++
			continue
		}
		n := len(r.Markdown) + len(r.HTML) + len(r.JSON) + len(r.URL) + 200
		if len(res.Records) > 0 && (p.Limit > 0 && len(res.Records) >= p.Limit || size+n > p.MaxBytes) {
			next := index
			res.Cursor = &next
			break
		}
		res.Records = append(res.Records, r)
		size += n
		index++
	}
	return res
}

// payments totals the pay-per-crawl pages of records, or nil.
func payments(records []Record) *Payments {
	var p Payments
	var micros int64
	for _, r := range records {
		switch {
		case r.Metadata == nil:
		case r.Metadata.Charged != "":
			p.Paid++
			if _, amount, ok := strings.Cut(r.Metadata.Charged, " "); ok {
				if f, err := strconv.ParseFloat(amount, 64); err == nil {
					micros += int64(math.Round(f * 1e6))
				}
			}
		case r.Metadata.Price != "":
			p.Refused++
		}
	}
	if p.Paid == 0 && p.Refused == 0 {
		return nil
	}
	p.Charged = "USD " + strconv.FormatFloat(float64(micros)/1e6, 'f', -1, 64)
	return &p
}

// add appends a record and returns its index.
func (j *Job) add(r Record) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.records = append(j.records, r)
	j.counts[r.Status]++
	i := len(j.records) - 1
	if r.Status.final() {
		j.order = append(j.order, i)
	}
	j.notifyLocked()
	return i
}

// settle gives record i its final state, and charges its content to the
// byte budget.
func (j *Job) settle(i int, r Record, browserMs int64) {
	j.mu.Lock()
	j.counts[j.records[i].Status]--
	j.records[i] = r
	j.counts[r.Status]++
	j.order = append(j.order, i)
	j.browserMs += browserMs
	j.notifyLocked()
	j.mu.Unlock()
	j.budget.charge(j, contentBytes(r))
}

// dropContent empties the records' markdown, html and json, keeping their
// URLs and statuses, and says why in the job's error.
func (j *Job) dropContent(why string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range j.records {
		r := &j.records[i]
		r.Markdown, r.HTML, r.JSON = "", "", nil
	}
	if j.err != "" {
		j.err += "; "
	}
	j.err += why
	j.notifyLocked()
}

// url returns record i's URL.
func (j *Job) url(i int) string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.records[i].URL
}

// finish ends the job in status s: records still queued become cancelled.
func (j *Job) finish(s JobStatus, err error) {
	j.mu.Lock()
	for i := range j.records {
		if j.records[i].Status == RecordQueued {
			j.counts[RecordQueued]--
			j.records[i].Status = RecordCancelled
			j.counts[RecordCancelled]++
			j.order = append(j.order, i)
		}
	}
	j.status = s
	if err != nil {
		j.err = err.Error()
	}
	j.ended = time.Now()
	j.notifyLocked()
	j.mu.Unlock()
	close(j.done)
}

// endedAt is when the job ended, or zero while it runs.
func (j *Job) endedAt() time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.ended
}

func (j *Job) notifyLocked() {
	close(j.changed)
	j.changed = make(chan struct{})
}

// statusOf is the final job status for the cause that ended its context.
func statusOf(cause error) JobStatus {
	switch cause {
	case errCancelledByUser:
		return JobCancelledByUser
	case errTooLong:
		return JobCancelledTimeout
	case render.ErrClosed:
		return JobCancelledLimits
	}
	return JobCancelledLimits
}
