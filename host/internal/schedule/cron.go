// Package schedule reads five-field cron schedules (minute hour day month
// weekday) and tells whether a minute matches one.
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cron is a parsed schedule.
type Cron struct {
	fields [5]map[int]bool
	spec   string
	// dayStar and weekStar record a "*" day or weekday: cron's rule is that
	// when both are restricted, either matching is enough.
	dayStar, weekStar bool
}

var ranges = [5][2]int{{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 6}}

// Parse reads "*/15 8-18 * * 1-5" and the like: numbers, ranges, lists,
// "*" and steps.
func Parse(spec string) (*Cron, error) {
	f := strings.Fields(spec)
	if len(f) != 5 {
		return nil, fmt.Errorf("cron %q: want five fields (minute hour day month weekday)", spec)
	}
	c := &Cron{spec: spec, dayStar: f[2] == "*", weekStar: f[4] == "*"}
	for i, field := range f {
		set := map[int]bool{}
		for _, part := range strings.Split(field, ",") {
			step := 1
			if base, s, ok := strings.Cut(part, "/"); ok {
				n, err := strconv.Atoi(s)
				if err != nil || n < 1 {
					return nil, fmt.Errorf("cron %q: bad step %q", spec, s)
				}
				part, step = base, n
			}
			lo, hi := ranges[i][0], ranges[i][1]
			if part != "*" {
				a, b, isRange := strings.Cut(part, "-")
				x, err := strconv.Atoi(a)
				if err != nil {
					return nil, fmt.Errorf("cron %q: bad value %q", spec, part)
				}
				lo, hi = x, x
				if isRange {
					if hi, err = strconv.Atoi(b); err != nil {
						return nil, fmt.Errorf("cron %q: bad range %q", spec, part)
					}
				} else if step > 1 {
					hi = ranges[i][1]
				}
			}
			if i == 4 && hi == 7 {
				hi = 6
				set[0] = true // 7 is Sunday too
			}
			if lo < ranges[i][0] || hi > ranges[i][1] || lo > hi {
				return nil, fmt.Errorf("cron %q: %q is out of range %d-%d", spec, part, ranges[i][0], ranges[i][1])
			}
			for v := lo; v <= hi; v += step {
				set[v] = true
			}
		}
		c.fields[i] = set
	}
	return c, nil
}

// Matches reports whether the minute of t is scheduled.
func (c *Cron) Matches(t time.Time) bool {
	if !c.fields[0][t.Minute()] || !c.fields[1][t.Hour()] || !c.fields[3][int(t.Month())] {
		return false
	}
	day, week := c.fields[2][t.Day()], c.fields[4][int(t.Weekday())]
	switch {
	case c.dayStar && c.weekStar:
		return true
	case c.dayStar:
		return week
	case c.weekStar:
		return day
	}
	return day || week
}

// Next returns the first scheduled minute after t (within four years).
func (c *Cron) Next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	for end := t.AddDate(4, 0, 0); t.Before(end); t = t.Add(time.Minute) {
		if c.Matches(t) {
			return t
		}
	}
	return time.Time{}
}

func (c *Cron) String() string { return c.spec }
