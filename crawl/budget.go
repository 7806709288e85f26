package crawl

import (
	"errors"
	"fmt"
	"sync"
)

// Records' content (markdown, html, json) is what a crawl keeps in memory,
// and a crawl of large pages would keep a lot: each job and all jobs
// together have a byte budget.
//
//   - A job whose records pass Options.MaxJobBytes ends as
//     cancelled_due_to_limits, keeping the records it has, its error saying
//     which budget it reached.
//   - When all jobs' records pass Options.MaxTotalBytes, the content of the
//     oldest ended jobs is dropped (their URLs, statuses and counts stay,
//     and their error says what happened) until the total fits; when no
//     ended job is left to drop, the job adding records is ended as above.
//
// A job's bytes are released when the store forgets it.

// DefaultMaxTotalBytes is Options.MaxTotalBytes when unset.
const DefaultMaxTotalBytes = 1 << 30

// errJobBytes and errTotalBytes end a job that filled a budget.
var (
	errJobBytes   = errors.New("the job's records reached its byte budget")
	errTotalBytes = errors.New("the service's crawl records reached their byte budget")
)

// byteBudget counts the content bytes of every job's records.
type byteBudget struct {
	perJob, total int64

	mu   sync.Mutex
	used int64
	jobs []*Job // with content counted, in the order they were created
}

// charge counts n more bytes of j's records, and ends or drops jobs to stay
// within the budgets. It is called without j's lock held.
func (b *byteBudget) charge(j *Job, n int64) {
	if b == nil || n <= 0 {
		return
	}
	b.mu.Lock()
	if j.counted == 0 {
		b.jobs = append(b.jobs, j)
	}
	j.counted += n
	b.used += n
	overJob := j.counted > b.perJob
	var drop []*Job
	for b.used > b.total {
		victim := b.oldestEndedLocked()
		if victim == nil {
			break
		}
		b.used -= victim.counted
		victim.counted = 0
		b.removeLocked(victim)
		drop = append(drop, victim)
	}
	overTotal := b.used > b.total
	b.mu.Unlock()

	for _, v := range drop {
		v.dropContent(fmt.Sprintf("the records' content was dropped to keep the service's crawl records within %s (--crawl-max-bytes); their URLs and statuses remain", mib(b.total)))
	}
	switch {
	case overJob:
		j.cancel(fmt.Errorf("%w of %s (each job may use a quarter of --crawl-max-bytes)", errJobBytes, mib(b.perJob)))
	case overTotal:
		j.cancel(fmt.Errorf("%w of %s, and no ended job was left to drop", errTotalBytes, mib(b.total)))
	}
}

// release forgets j's bytes: the store no longer keeps it.
func (b *byteBudget) release(j *Job) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= j.counted
	j.counted = 0
	b.removeLocked(j)
}

// Used reports the bytes counted now.
func (b *byteBudget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

func (b *byteBudget) oldestEndedLocked() *Job {
	for _, j := range b.jobs {
		if !j.endedAt().IsZero() && j.counted > 0 {
			return j
		}
	}
	return nil
}

func (b *byteBudget) removeLocked(j *Job) {
	for i, k := range b.jobs {
		if k == j {
			b.jobs = append(b.jobs[:i], b.jobs[i+1:]...)
			return
		}
	}
}

func contentBytes(r Record) int64 { return int64(len(r.Markdown) + len(r.HTML) + len(r.JSON)) }

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
