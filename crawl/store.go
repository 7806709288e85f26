package crawl

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sous-dev/sous/render"
)

// ErrNotFound is a job id the store does not know: never created, or
// forgotten after its retention time.
var ErrNotFound = fmt.Errorf("%w: no such crawl job", render.ErrNotFound)

// Store keeps jobs by id. MemoryStore keeps them in this process, which
// is what one node needs; a store shared by several nodes (Redis, NATS
// JetStream) would implement the same three methods over job snapshots.
type Store interface {
	// Add keeps j, or fails wrapping render.ErrOverloaded when full.
	Add(j *Job) error
	// Get returns the job with id, or an error wrapping ErrNotFound.
	Get(id string) (*Job, error)
	// Jobs returns every job kept, oldest first.
	Jobs() []*Job
}

// MemoryStore keeps jobs in memory: every running job, and ended ones for
// their retention time, at most Max in all.
type MemoryStore struct {
	retention time.Duration
	max       int

	mu   sync.Mutex
	jobs map[string]*Job
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns a store that forgets an ended job retention after
// it ended, and keeps at most max jobs (forgetting the oldest ended job
// first when full).
func NewMemoryStore(retention time.Duration, max int) *MemoryStore {
	return &MemoryStore{retention: retention, max: max, jobs: map[string]*Job{}}
}

// Add keeps j.
func (s *MemoryStore) Add(j *Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(time.Now())
	if len(s.jobs) >= s.max {
		var oldest *Job
		for _, old := range s.jobs {
			if e := old.endedAt(); !e.IsZero() && (oldest == nil || e.Before(oldest.endedAt())) {
				oldest = old
			}
		}
		if oldest == nil {
			return fmt.Errorf("%w: %d crawl jobs are running or waiting", render.ErrOverloaded, len(s.jobs))
		}
		delete(s.jobs, oldest.id)
		oldest.budget.release(oldest)
	}
	s.jobs[j.id] = j
	return nil
}

// Get returns the job with id.
func (s *MemoryStore) Get(id string) (*Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(time.Now())
	j, ok := s.jobs[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	return j, nil
}

// Jobs returns every job kept, oldest first.
func (s *MemoryStore) Jobs() []*Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(time.Now())
	jobs := make([]*Job, 0, len(s.jobs))
	for _, j := range s.jobs {
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b *Job) int { return a.created.Compare(b.created) })
	return jobs
}

// expireLocked forgets the jobs that ended more than the retention ago.
// Expiry happens as the store is used, so the store needs no goroutine.
func (s *MemoryStore) expireLocked(now time.Time) {
	for id, j := range s.jobs {
		if e := j.endedAt(); !e.IsZero() && now.Sub(e) > s.retention {
			delete(s.jobs, id)
			j.budget.release(j)
		}
	}
}
