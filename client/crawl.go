package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/render"
)

// CreateCrawl starts a crawl job on the service and returns its id.
func (c *Client) CreateCrawl(ctx context.Context, req *crawl.Request) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("client: encode crawl request: %w", err)
	}
	var id string
	if err := c.callInto(ctx, http.MethodPost, "/v1/crawl", body, &id); err != nil {
		return "", err
	}
	return id, nil
}

// Crawl returns a crawl job's state and the page of its records p selects
// (its Cursor, Limit and Status; MaxBytes is the service's). The result's
// Cursor, when set, is where the next page starts.
func (c *Client) Crawl(ctx context.Context, id string, p crawl.Page) (*crawl.Result, error) {
	q := url.Values{}
	if p.Cursor > 0 {
		q.Set("cursor", strconv.Itoa(p.Cursor))
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Status != "" {
		q.Set("status", string(p.Status))
	}
	path := "/v1/crawl/" + url.PathEscape(id)
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var res crawl.Result
	if err := c.callInto(ctx, http.MethodGet, path, nil, &res); err != nil {
		return nil, jobError(err)
	}
	return &res, nil
}

// CancelCrawl cancels a crawl job.
func (c *Client) CancelCrawl(ctx context.Context, id string) error {
	return jobError(c.callInto(ctx, http.MethodDelete, "/v1/crawl/"+url.PathEscape(id), nil, nil))
}

// jobError is err as the crawl.Manager would have returned it: a job the
// service does not know is crawl.ErrNotFound.
func jobError(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Code == render.CodeNotFound {
		e.Err = crawl.ErrNotFound
	}
	return err
}

// WaitCrawl polls a crawl job every poll (default a second) until it ends,
// calling progress, when not nil, with each state it sees (without
// records), and then returns the job with all its records, read page by
// page.
func (c *Client) WaitCrawl(ctx context.Context, id string, poll time.Duration, progress func(*crawl.Result)) (*crawl.Result, error) {
	if poll <= 0 {
		poll = time.Second
	}
	for {
		res, err := c.Crawl(ctx, id, crawl.Page{Limit: 1})
		if err != nil {
			return nil, err
		}
		if progress != nil {
			res.Records, res.Cursor = nil, nil
			progress(res)
		}
		if res.Status != crawl.JobRunning {
			break
		}
		t := time.NewTimer(poll)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	var all *crawl.Result
	cursor := 0
	for {
		res, err := c.Crawl(ctx, id, crawl.Page{Cursor: cursor})
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = res
		} else {
			all.Records = append(all.Records, res.Records...)
		}
		if res.Cursor == nil || len(res.Records) == 0 {
			all.Cursor = nil
			return all, nil
		}
		cursor = *res.Cursor
	}
}

// callInto is call, decoding the result into out unless out is nil.
func (c *Client) callInto(ctx context.Context, method, path string, body []byte, out any) error {
	env, err := c.call(ctx, method, path, body)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("client: decode result: %w", err)
	}
	return nil
}
