package abi

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// This file avoids package net on purpose: it is linked into every Go
// connector through the SDK, and net would add about a megabyte of code
// and initialisation to each one.

// splitHostPort splits "host:port" and "[v6]:port"; ok is false when there
// is no port.
func splitHostPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 || !strings.HasPrefix(s[end+1:], ":") {
			return "", "", false
		}
		return s[1:end], s[end+2:], true
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 || strings.Contains(s[:i], ":") {
		return "", "", false // no port, or a bare IPv6 address
	}
	return s[:i], s[i+1:], true
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// HostPattern is one parsed entry of Manifest.Hosts.
type HostPattern struct {
	// ConfigField is set for "{config.FIELD}" patterns; the host name comes
	// from that field's value at call time.
	ConfigField string
	// Host is a lower-case host name or IP; "*.example.com" matches every
	// subdomain of example.com (not example.com itself).
	Host string
	// Port is "" (the scheme's default port), "*" (any port) or a number.
	Port string
}

// ParseHostPattern parses one manifest host entry.
func ParseHostPattern(s string) (HostPattern, error) {
	if strings.HasPrefix(s, "{") {
		inner, ok := strings.CutSuffix(strings.TrimPrefix(s, "{"), "}")
		field, isConfig := strings.CutPrefix(inner, "config.")
		if !ok || !isConfig || !fieldRE.MatchString(field) {
			return HostPattern{}, fmt.Errorf("%q: want {config.FIELD}", s)
		}
		return HostPattern{ConfigField: field}, nil
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@") {
		return HostPattern{}, fmt.Errorf("%q: want a host such as api.example.com, not a URL", s)
	}
	host, port := s, ""
	if h, p, ok := splitHostPort(s); ok {
		host, port = h, p
		if p != "*" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return HostPattern{}, fmt.Errorf("%q: bad port %q", s, p)
			}
		}
	}
	host = strings.ToLower(host)
	rest, wild := strings.CutPrefix(host, "*.")
	if rest == "" || strings.Contains(rest, "*") || strings.HasPrefix(rest, ".") || strings.HasSuffix(rest, ".") {
		return HostPattern{}, fmt.Errorf("%q: want a host name, optionally starting with *.", s)
	}
	if wild && isIP(rest) {
		return HostPattern{}, fmt.Errorf("%q: a wildcard cannot prefix an IP address", s)
	}
	return HostPattern{Host: host, Port: port}, nil
}

// Resolve turns a config-field pattern into a concrete one using the field's
// value (a URL or a bare host). Other patterns are returned unchanged.
func (p HostPattern) Resolve(config map[string]any) (HostPattern, error) {
	if p.ConfigField == "" {
		return p, nil
	}
	v, _ := config[p.ConfigField].(string)
	if v == "" {
		return HostPattern{}, fmt.Errorf("config field %q is not set", p.ConfigField)
	}
	if !strings.Contains(v, "://") {
		v = "https://" + v
	}
	u, err := url.Parse(v)
	if err != nil || u.Hostname() == "" {
		return HostPattern{}, fmt.Errorf("config field %q: %q is not a URL or host", p.ConfigField, v)
	}
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	return HostPattern{Host: strings.ToLower(u.Hostname()), Port: port}, nil
}

// Matches reports whether the concrete pattern p allows a request to u.
func (p HostPattern) Matches(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	switch {
	case p.Port == "*":
	case p.Port == "":
		if port != defaultPort(u.Scheme) {
			return false
		}
	case p.Port != port:
		return false
	}
	if rest, ok := strings.CutPrefix(p.Host, "*."); ok {
		return strings.HasSuffix(host, "."+rest)
	}
	return host == p.Host
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}
