package identity

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// This file is the part of RFC 9421 (HTTP Message Signatures) that
// signing needs: covered components, signature parameters, and the
// signature base the key signs.

// component is a covered component: a derived one ("@method",
// "@authority", "@path") or a header field, with the parameters Web Bot
// Auth uses: key (one member of a dictionary field, RFC 9421 section
// 2.1.2) and req (a request component of a response, section 2.4).
type component struct {
	name string
	key  string
	req  bool
}

// identifier is the component as the signature base and Signature-Input
// name it: "name", then its parameters.
func (c component) identifier() string {
	id := strconv.Quote(c.name)
	if c.key != "" {
		id += ";key=" + quoteString(c.key)
	}
	if c.req {
		id += ";req"
	}
	return id
}

// message is what a signature base reads of an HTTP message.
type message struct {
	method    string // upper case
	authority string // host[:port], lower case, no default port
	path      string // the absolute path as sent, at least "/"
	header    http.Header
	// members holds the serialized values of dictionary members, by field
	// (lower case) and member key, for components with a key parameter.
	members map[string]map[string]string
	// request is the request a response answers, for components with req.
	request *message
}

// value returns the component's value in m.
func (m *message) value(c component) (string, error) {
	if c.req {
		if m.request == nil {
			return "", fmt.Errorf("component %s: no request to read", c.identifier())
		}
		c.req = false
		return m.request.value(c)
	}
	switch c.name {
	case "@method":
		return m.method, nil
	case "@authority":
		return m.authority, nil
	case "@path":
		return m.path, nil
	}
	if strings.HasPrefix(c.name, "@") {
		return "", fmt.Errorf("component %s is not supported", c.name)
	}
	if c.key != "" {
		v, ok := m.members[c.name][c.key]
		if !ok {
			return "", fmt.Errorf("component %s: no member %q", c.identifier(), c.key)
		}
		return v, nil
	}
	values, ok := m.header[http.CanonicalHeaderKey(c.name)]
	if !ok {
		return "", fmt.Errorf("component %s: no such field", c.identifier())
	}
	// Section 2.1: each line trimmed, lines joined by a comma and a space.
	trimmed := make([]string, len(values))
	for i, v := range values {
		trimmed[i] = strings.TrimSpace(v)
	}
	return strings.Join(trimmed, ", "), nil
}

// param is one signature parameter; value is an int64 or a string.
type param struct {
	name  string
	value any
}

// signatureParams serializes the covered components and parameters as the
// "@signature-params" line and Signature-Input carry them:
// ("@authority" …);created=…;keyid="…".
func signatureParams(components []component, params []param) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range components {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.identifier())
	}
	b.WriteByte(')')
	for _, p := range params {
		b.WriteByte(';')
		b.WriteString(p.name)
		b.WriteByte('=')
		switch v := p.value.(type) {
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		case string:
			b.WriteString(quoteString(v))
		default:
			panic(fmt.Sprintf("signature parameter %s of type %T", p.name, v))
		}
	}
	return b.String()
}

// signatureBase is the text the key signs (RFC 9421 section 2.5): one line
// per covered component, then the signature parameters.
func signatureBase(m *message, components []component, params string) (string, error) {
	var b strings.Builder
	for _, c := range components {
		v, err := m.value(c)
		if err != nil {
			return "", err
		}
		b.WriteString(c.identifier())
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(params)
	return b.String(), nil
}

// quoteString writes s as a structured-field String (RFC 9651 section
// 3.3.3): in double quotes, with backslash and double quote escaped. It
// is for strings Sous makes (URLs, labels, base64), which are printable
// ASCII.
func quoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// authority is host as the @authority component holds it (section
// 2.2.3): lower case, without the scheme's default port.
func authority(scheme, host string) string {
	host = strings.ToLower(host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	}
	return host
}
