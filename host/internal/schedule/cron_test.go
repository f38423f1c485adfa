package schedule

import (
	"testing"
	"time"
)

func TestCron(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse("2006-01-02 15:04", s); return v }
	c, err := Parse("*/15 8-18 * * 1-5")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Matches(at("2026-12-01 08:45")) || c.Matches(at("2026-12-01 08:46")) || c.Matches(at("2026-11-29 09:00")) {
		t.Error("matches") // 2026-11-29 is a Sunday
	}
	if n := c.Next(at("2026-12-04 18:50")); n != at("2026-12-07 08:00") {
		t.Errorf("next after Friday evening = %v", n)
	}
	q, _ := Parse("0 8 1 */3 *")
	if n := q.Next(at("2026-11-29 00:00")); n != at("2027-01-01 08:00") {
		t.Errorf("quarterly next = %v", n)
	}
	either, _ := Parse("0 0 13 * 5") // the 13th, or any Friday
	if !either.Matches(at("2026-12-04 00:00")) || !either.Matches(at("2026-12-13 00:00")) || either.Matches(at("2026-12-05 00:00")) {
		t.Error("day or weekday")
	}
	for _, bad := range []string{"", "* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
