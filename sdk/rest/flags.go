package rest

import (
	"fmt"
	"strings"
)

// The command-line syntax of endpoints and pagination, shared by every
// front end that takes them as text (roost integrations new and edit).

// ParseEndpoint reads an endpoint written on a command line:
// "GET /tickets/{id} get_ticket", with optional query parameters after a
// "?" ("GET /tickets?status&page list_tickets") and a body for POST, PUT
// and PATCH.
func ParseEndpoint(spec string) (Endpoint, error) {
	f := strings.Fields(spec)
	if len(f) != 3 {
		return Endpoint{}, fmt.Errorf("endpoint %q: want \"METHOD /path name\", e.g. \"GET /tickets list_tickets\"", spec)
	}
	e := Endpoint{Method: strings.ToUpper(f[0]), Name: f[2]}
	path, query, _ := strings.Cut(f[1], "?")
	e.Path = path
	for _, seg := range strings.Split(path, "{")[1:] {
		if name, _, ok := strings.Cut(seg, "}"); ok {
			e.Params = append(e.Params, Param{Name: name, In: "path", Required: true})
		}
	}
	for _, q := range strings.Split(query, "&") {
		if q = strings.TrimSpace(q); q != "" {
			e.Params = append(e.Params, Param{Name: q, In: "query"})
		}
	}
	switch e.Method {
	case "POST", "PUT", "PATCH":
		e.Body = []byte(`{"type":"object"}`)
	}
	return e, nil
}

// ParsePagination reads a pagination written on a command line:
// "page,page_param=page,size_param=per_page,page_size=50",
// "cursor,next_path=meta.next,cursor_param=after", "link", "none".
func ParsePagination(spec string) (*Pagination, error) {
	parts := strings.Split(spec, ",")
	p := &Pagination{Kind: strings.TrimSpace(parts[0])}
	for _, kv := range parts[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("pagination %q: %q is not key=value", spec, kv)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "page_param":
			p.PageParam = v
		case "size_param":
			p.SizeParam = v
		case "next_path":
			p.NextPath = v
		case "cursor_param":
			p.CursorParam = v
		case "page_size", "first_page", "max_pages":
			var n int
			if _, err := fmt.Sscanf(v, "%d", &n); err != nil {
				return nil, fmt.Errorf("pagination %q: %s must be a number", spec, k)
			}
			switch k {
			case "page_size":
				p.PageSize = n
			case "first_page":
				p.FirstPage = &n
			default:
				p.MaxPages = n
			}
		default:
			return nil, fmt.Errorf("pagination %q: unknown key %q (page_param, size_param, page_size, first_page, next_path, cursor_param, max_pages)", spec, k)
		}
	}
	if p.Kind == PageNone {
		return nil, nil
	}
	return p, nil
}
