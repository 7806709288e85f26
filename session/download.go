package session

import (
	"context"
	"fmt"

	"github.com/sous-dev/sous/render"
)

// Downloads: a file a page downloads is kept in its session (up to
// MaxDownload bytes each and MaxDownloads in all), listed in every actions
// reply, and read with GET /v1/sessions/{id}/downloads/{index}.

// Bounds of a session's downloads; a download past them is cancelled.
const (
	MaxDownload      = 50 << 20
	MaxDownloadTotal = 200 << 20
)

// Download is a file a session's page downloaded. State is inProgress,
// completed or canceled (with the reason after a colon when Sous cancelled
// it).
type Download struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	URL   string `json:"url"`
	State string `json:"state"`
	Bytes int64  `json:"bytes"`
}

// Downloader is what a Context offers for downloads; browserpool's do.
type Downloader interface {
	Downloads() []Download
	// ReadDownload returns a completed download and its content.
	ReadDownload(index int) (Download, []byte, error)
}

// downloads lists s's downloads, names and URLs redacted.
func (s *Session) downloads() []Download {
	d, ok := s.browser.(Downloader)
	if !ok {
		return nil
	}
	list := d.Downloads()
	for i := range list {
		list[i].Name, list[i].URL = s.redact.String(list[i].Name), s.redact.String(list[i].URL)
	}
	return list
}

// Download returns the downloaded file index of the session id.
func (m *Manager) Download(ctx context.Context, id string, index int) (Download, []byte, error) {
	s, err := m.lookup(id)
	if err != nil {
		return Download{}, nil, err
	}
	d, ok := s.browser.(Downloader)
	if !ok {
		return Download{}, nil, fmt.Errorf("%w: this service keeps no downloads", render.ErrNotEnabled)
	}
	done, err := s.take(ctx)
	if err != nil {
		return Download{}, nil, err
	}
	defer done()
	info, content, err := d.ReadDownload(index)
	if err != nil {
		return Download{}, nil, s.redactError(err)
	}
	info.Name, info.URL = s.redact.String(info.Name), s.redact.String(info.URL)
	return info, content, nil
}
