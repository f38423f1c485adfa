// Package oauth fetches and caches OAuth2 access tokens for the host, so a
// connector's requests carry a token the connector never sees.
//
// A ClientCredentials source (RFC 6749 §4.4) fetches one token at a time per
// configuration: concurrent callers wait for the fetch in flight rather than
// starting their own. A token is reused until shortly before it expires;
// after a failed fetch, callers get the same error for a short cool-down
// instead of hammering the token endpoint.
package oauth
