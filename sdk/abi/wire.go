package abi

// HTTPRequest is the head of an outbound request, passed as JSON to
// http_request; the body travels separately as raw bytes.
type HTTPRequest struct {
	Method string              `json:"method"`
	URL    string              `json:"url"`
	Header map[string][]string `json:"header,omitempty"`
	// TimeoutMS caps this request below the host's own limit; 0 means the
	// host's default.
	TimeoutMS int `json:"timeout_ms,omitempty"`
	// Retry lets the host retry a non-idempotent request (POST, PATCH)
	// after a network error, 429 or 502/503/504, as it does idempotent
	// ones; set it only when repeating the request is safe.
	Retry bool `json:"retry,omitempty"`
}

// HTTPResponse is the head of the answer, left in SlotMain as JSON; the body
// is in SlotBody.
type HTTPResponse struct {
	Status int                 `json:"status"`
	Header map[string][]string `json:"header,omitempty"`
}

// PageRequest is the input of OpOrganizations.
type PageRequest struct {
	// Cursor is empty for the first page and otherwise the Next of the
	// previous page, passed back unchanged.
	Cursor string `json:"cursor,omitempty"`
	// Size is the number of accounts wanted; a connector may return fewer.
	Size int `json:"size,omitempty"`
}

// OrganizationPage is the result of OpOrganizations.
type OrganizationPage struct {
	Accounts []Account `json:"accounts"`
	// Next is the cursor of the following page, empty on the last page.
	Next string `json:"next,omitempty"`
	// Total is the number of accounts in all pages, if the tool says.
	Total int `json:"total,omitempty"`
}

// Account is one customer account inside a tool, a candidate for mapping to
// one of the user's organizations.
type Account struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Domains []string `json:"domains,omitempty"`
	// ParentID is the account's parent in the tool, if it has one.
	ParentID string `json:"parent_id,omitempty"`
	// Attributes holds anything else that helps matching (external ids,
	// tenant ids, phone numbers, …).
	Attributes map[string]string `json:"attributes,omitempty"`
}

// CheckResult is the result of OpCheck.
type CheckResult struct {
	// Message says what was checked, for a person ("fetched 1 client as
	// user api@acme").
	Message string `json:"message,omitempty"`
}
