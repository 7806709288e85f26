package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/sous-dev/sous/render"
)

// StorageState is a browser context's cookies and local storage in
// Playwright's shape (browserContext.storageState()), so that files made by
// either side work in the other.
type StorageState struct {
	Cookies []Cookie      `json:"cookies"`
	Origins []OriginState `json:"origins"`
}

// Cookie is one cookie of a StorageState. Expires is in seconds since the
// epoch, -1 for a session cookie; SameSite is Strict, Lax or None.
type Cookie struct {
	Name     string  `json:"name"`
	Value    string  `json:"value"`
	Domain   string  `json:"domain"`
	Path     string  `json:"path"`
	Expires  float64 `json:"expires"`
	HTTPOnly bool    `json:"httpOnly"`
	Secure   bool    `json:"secure"`
	SameSite string  `json:"sameSite,omitempty"`
}

// OriginState is the local storage of one origin ("https://example.com").
type OriginState struct {
	Origin       string      `json:"origin"`
	LocalStorage []NameValue `json:"localStorage"`
}

// NameValue is one local storage item.
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Bounds of a storage state given to a session.
const (
	maxStateCookies = 1000
	maxStateOrigins = 100
	maxStateItems   = 1000 // per origin
	maxStateBytes   = 5 << 20
)

// check refuses a storage state beyond the bounds.
func (s *StorageState) check() error {
	if s == nil {
		return nil
	}
	if len(s.Cookies) > maxStateCookies || len(s.Origins) > maxStateOrigins {
		return fmt.Errorf("%w: storageState holds %d cookies and %d origins; the limits are %d and %d",
			render.ErrInvalidRequest, len(s.Cookies), len(s.Origins), maxStateCookies, maxStateOrigins)
	}
	size := 0
	for _, c := range s.Cookies {
		if c.Name == "" || c.Domain == "" {
			return fmt.Errorf("%w: storageState: every cookie needs a name and a domain", render.ErrInvalidRequest)
		}
		size += len(c.Name) + len(c.Value) + len(c.Domain) + len(c.Path)
	}
	for _, o := range s.Origins {
		if len(o.LocalStorage) > maxStateItems {
			return fmt.Errorf("%w: storageState: %s holds %d items; the limit is %d", render.ErrInvalidRequest, o.Origin, len(o.LocalStorage), maxStateItems)
		}
		for _, it := range o.LocalStorage {
			size += len(it.Name) + len(it.Value)
		}
	}
	if size > maxStateBytes {
		return fmt.Errorf("%w: storageState is %d bytes; the limit is %d", render.ErrInvalidRequest, size, maxStateBytes)
	}
	return nil
}

// redacted returns a copy of s with secret values replaced.
func (s *StorageState) redacted(r redactor) *StorageState {
	out := &StorageState{Cookies: make([]Cookie, len(s.Cookies)), Origins: make([]OriginState, len(s.Origins))}
	for i, c := range s.Cookies {
		c.Value = r.String(c.Value)
		out.Cookies[i] = c
	}
	for i, o := range s.Origins {
		items := make([]NameValue, len(o.LocalStorage))
		for j, it := range o.LocalStorage {
			items[j] = NameValue{Name: r.String(it.Name), Value: r.String(it.Value)}
		}
		out.Origins[i] = OriginState{Origin: o.Origin, LocalStorage: items}
	}
	return out
}

// profileName is what a profile may be called: it becomes a file name.
var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// profiles keeps named storage states as files under a directory.
type profiles struct {
	dir string // "" when profiles are not enabled
}

func (p profiles) path(name string) (string, error) {
	if p.dir == "" {
		return "", fmt.Errorf("%w: profiles need a data directory; the operator can start the service with --data-dir", render.ErrNotEnabled)
	}
	if !profileName.MatchString(name) {
		return "", fmt.Errorf("%w: profile %q: a name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", render.ErrInvalidRequest, name)
	}
	return filepath.Join(p.dir, "profiles", name+".json"), nil
}

// load returns the stored state of name, or nil when there is none yet.
func (p profiles) load(name string) (*StorageState, error) {
	path, err := p.path(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read profile %s: %w", name, err)
	}
	var s StorageState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("profile %s is not a storage state: %w", name, err)
	}
	return &s, nil
}

// save writes the state of name, readable by the service's user alone.
func (p profiles) save(name string, s *StorageState) error {
	path, err := p.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save profile %s: %w", name, err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save profile %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+name+"-*")
	if err != nil {
		return fmt.Errorf("save profile %s: %w", name, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("save profile %s: %w", name, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save profile %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save profile %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save profile %s: %w", name, err)
	}
	return nil
}
