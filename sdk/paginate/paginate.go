// Package paginate pages through a list endpoint the ways REST APIs do:
// by offset, page number, RFC 8288 Link header or next URL in the body,
// or a cursor in the body. It stops on an empty or short page, on the
// last link or cursor, at a maximum page count, and with an error on a
// cursor or next URL it has already seen, so a looping API cannot keep a
// connector busy forever. The generic REST connector uses it; coded
// connectors can too.
package paginate

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/roosthq/roost/sdk"
	"github.com/roosthq/roost/sdk/abi"
	"github.com/roosthq/roost/sdk/rest"
)

// ErrRepeated is a cursor or next URL the API sent twice.
var ErrRepeated = errors.New("the API sent a page cursor it had already sent")

// Pager fetches pages of one request.
type Pager struct {
	Client *sdk.Client
	// Request is the first page's request; its URL's query is kept.
	Request sdk.Request
	Paging  rest.Pagination
	// ResultsKey is the dot path to the list in each answer.
	ResultsKey string
}

// DefaultMaxPages bounds a listing when the pagination does not.
const DefaultMaxPages = 100

func (p *Pager) size() int {
	if p.Paging.PageSize > 0 {
		return p.Paging.PageSize
	}
	return 100
}

func (p *Pager) first() int {
	if p.Paging.FirstPage != nil {
		return *p.Paging.FirstPage
	}
	if p.Paging.Kind == rest.PageOffset {
		return 0
	}
	return 1
}

// Page fetches the page at cursor ("" for the first) and returns its
// items, the decoded answer, and the cursor of the next page ("" when it
// was the last).
func (p *Pager) Page(cursor string) (items []any, body any, next string, err error) {
	req := p.Request
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, nil, "", sdk.Errorf(sdk.CodeInvalidInput, "bad URL %q", req.URL)
	}
	q := u.Query()
	pos := p.first()
	switch p.Paging.Kind {
	case rest.PageOffset, rest.PageNumber:
		if cursor != "" {
			if pos, err = strconv.Atoi(cursor); err != nil {
				return nil, nil, "", sdk.Errorf(sdk.CodeInvalidInput, "bad page cursor %q", cursor)
			}
		}
		q.Set(p.Paging.PageParam, strconv.Itoa(pos))
		if p.Paging.SizeParam != "" {
			q.Set(p.Paging.SizeParam, strconv.Itoa(p.size()))
		}
	case rest.PageCursor:
		if p.Paging.SizeParam != "" {
			q.Set(p.Paging.SizeParam, strconv.Itoa(p.size()))
		}
		if cursor != "" {
			q.Set(p.Paging.CursorParam, cursor)
		}
	case rest.PageLink:
		if p.Paging.SizeParam != "" && cursor == "" {
			q.Set(p.Paging.SizeParam, strconv.Itoa(p.size()))
		}
	}
	u.RawQuery = q.Encode()
	req.URL = u.String()
	if p.Paging.Kind == rest.PageLink && cursor != "" {
		req.URL = cursor // the next URL, exactly as the API gave it
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return nil, nil, "", err
	}
	if !resp.OK() {
		return nil, nil, "", StatusError(req.Method, req.URL, resp)
	}
	if len(resp.Body) > 0 {
		if err := json.Unmarshal(resp.Body, &body); err != nil {
			return nil, nil, "", sdk.Errorf(sdk.CodeUpstream, "%s %s: the answer is not JSON: %v", req.Method, redact(req.URL), err)
		}
	}
	list, ok := rest.Lookup(body, p.ResultsKey)
	if ok {
		switch l := list.(type) {
		case []any:
			items = l
		case nil:
		default:
			items = []any{l}
		}
	} else if p.ResultsKey != "" {
		return nil, nil, "", sdk.Errorf(sdk.CodeUpstream, "%s %s: the answer has no %q", req.Method, redact(req.URL), p.ResultsKey)
	}
	switch p.Paging.Kind {
	case rest.PageOffset:
		if len(items) > 0 && len(items) >= p.size() {
			next = strconv.Itoa(pos + len(items))
		}
	case rest.PageNumber:
		if len(items) > 0 && len(items) >= p.size() {
			next = strconv.Itoa(pos + 1)
		}
	case rest.PageLink:
		if p.Paging.NextPath == "" {
			next = NextLink(resp.Header["Link"])
		} else if v, ok := rest.Lookup(body, p.Paging.NextPath); ok {
			next = scalar(v)
		}
		if next != "" {
			if ref, err := url.Parse(next); err == nil {
				next = u.ResolveReference(ref).String() // relative next links
			}
		}
	case rest.PageCursor:
		if v, ok := rest.Lookup(body, p.Paging.NextPath); ok {
			next = scalar(v)
		}
	}
	return items, body, next, nil
}

// All fetches every page (up to the pagination's MaxPages, default 100)
// and calls each with every page's items.
func (p *Pager) All(each func(items []any) error) (pages int, err error) {
	maxPages := p.Paging.MaxPages
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	seen := map[string]bool{}
	cursor := ""
	for pages < maxPages {
		items, _, next, err := p.Page(cursor)
		if err != nil {
			return pages, err
		}
		pages++
		if err := each(items); err != nil {
			return pages, err
		}
		if next == "" || p.Paging.Kind == "" || p.Paging.Kind == rest.PageNone {
			return pages, nil
		}
		if seen[next] || next == cursor {
			return pages, sdk.Errorf(sdk.CodeUpstream, "%v: %q after %d pages", ErrRepeated, next, pages)
		}
		seen[next] = true
		cursor = next
	}
	return pages, nil
}

// scalar renders a cursor: strings as they are, numbers without exponent;
// null, false and empty strings mean none.
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool, nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// NextLink finds the rel="next" target among RFC 8288 Link header values.
func NextLink(values []string) string {
	for _, v := range values {
		for _, part := range splitLinks(v) {
			target, params, ok := strings.Cut(part, ";")
			if !ok {
				continue
			}
			target = strings.TrimSpace(target)
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "rel") {
					for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
						if strings.EqualFold(rel, "next") {
							return target[1 : len(target)-1]
						}
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header on the commas between links, not those
// inside <…>.
func splitLinks(v string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range v {
		switch c {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// StatusError turns a non-2xx answer into a structured error whose code
// follows the status.
func StatusError(method, u string, resp *sdk.Response) error {
	code := abi.CodeForStatus(resp.Status)
	msg := strings.TrimSpace(string(resp.Body))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return sdk.Errorf(code, "%s %s answered %d: %s", method, redact(u), resp.Status, msg)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the URL"
	}
	u.RawQuery = ""
	return u.String()
}
