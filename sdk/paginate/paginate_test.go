package paginate

import "testing"

func TestNextLink(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`<https://x/a?page=2&pageSize=10>; rel="next", <https://x/a?page=9>; rel="last"`, "https://x/a?page=2&pageSize=10"},
		{`<https://x/a?page=1>; rel="prev", <https://x/a?b=1,2>; rel="next"`, "https://x/a?b=1,2"},
		{`<https://x/a?page=9>; rel="last"`, ""},
		{`<https://x/a?page=3>; rel="prev next"`, "https://x/a?page=3"},
		{``, ""},
	} {
		if got := NextLink([]string{c.in}); got != c.want {
			t.Errorf("NextLink(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
