package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/sous-dev/sous/session"
)

// CreateSession opens an interactive session (POST /v1/sessions).
func (c *Client) CreateSession(ctx context.Context, req *session.CreateRequest) (*session.Info, error) {
	if req == nil {
		req = &session.CreateRequest{}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("client: encode session request: %w", err)
	}
	var info session.Info
	if err := c.callInto(ctx, http.MethodPost, "/v1/sessions", body, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Act runs actions on a session (POST /v1/sessions/{id}/actions). As with
// session.Manager.Act, an action that fails is not an error of Act: the
// result says which step failed (ActResult.Failed) and shows the page.
func (c *Client) Act(ctx context.Context, id string, req *session.ActRequest) (*session.ActResult, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("client: encode actions: %w", err)
	}
	// Not retried: the actions before a failed one have been done.
	env, err := c.once(ctx, http.MethodPost, "/v1/sessions/"+url.PathEscape(id)+"/actions", body)
	if err != nil && (env == nil || len(env.Result) == 0 || string(env.Result) == "null") {
		return nil, err
	}
	var res session.ActResult
	if err := json.Unmarshal(env.Result, &res); err != nil {
		return nil, fmt.Errorf("client: decode result: %w", err)
	}
	return &res, nil
}

// Session describes an open session.
func (c *Client) Session(ctx context.Context, id string) (*session.Info, error) {
	var info session.Info
	if err := c.callInto(ctx, http.MethodGet, "/v1/sessions/"+url.PathEscape(id), nil, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// Sessions lists the open sessions.
func (c *Client) Sessions(ctx context.Context) ([]*session.Info, error) {
	var list []*session.Info
	if err := c.callInto(ctx, http.MethodGet, "/v1/sessions", nil, &list); err != nil {
		return nil, err
	}
	return list, nil
}

// SessionStorage exports a session's cookies and local storage, in
// Playwright's storage-state shape.
func (c *Client) SessionStorage(ctx context.Context, id string) (*session.StorageState, error) {
	var state session.StorageState
	if err := c.callInto(ctx, http.MethodGet, "/v1/sessions/"+url.PathEscape(id)+"/storage", nil, &state); err != nil {
		return nil, err
	}
	return &state, nil
}

// CloseSession ends a session, saving its profile if it has one.
func (c *Client) CloseSession(ctx context.Context, id string) error {
	return c.callInto(ctx, http.MethodDelete, "/v1/sessions/"+url.PathEscape(id), nil, nil)
}

// SessionDownload returns a file the session downloaded, by its index in
// the actions reply's downloads.
func (c *Client) SessionDownload(ctx context.Context, id string, index int) ([]byte, error) {
	resp, body, err := c.send(ctx, http.MethodGet, "/v1/sessions/"+url.PathEscape(id)+"/downloads/"+strconv.Itoa(index), nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var env envelope
		if json.Unmarshal(body, &env) != nil {
			return nil, statusError(resp, nil)
		}
		return nil, statusError(resp, &env)
	}
	return body, nil
}
