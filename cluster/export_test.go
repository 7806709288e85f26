package cluster

import "context"

// Reserve exposes reserve to the package's tests.
func (c *Crawls) Reserve(ctx context.Context, id, h string, limit int) (bool, error) {
	return c.reserve(ctx, id, h, limit)
}
