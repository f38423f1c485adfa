package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/roosthq/roost/host/internal/store"
)

// Requests are the integrations users asked for, with their votes. Get
// them from Host.Requests.
type requestsSvc struct{ h *Host }

// Requests returns the host's integration requests, kept in the store.
func (h *Host) requests() *requestsSvc { return &requestsSvc{h: h} }

// ErrNoRequest is matched (errors.Is) by the error of a vote for a request
// that does not exist, a *NoRequestError.
var ErrNoRequest = errors.New("no such request")

// NoRequestError says no request has the ID.
type NoRequestError struct {
	ID int `json:"id"`
}

func (e *NoRequestError) Error() string        { return fmt.Sprintf("no request %d", e.ID) }
func (e *NoRequestError) Is(target error) bool { return target == ErrNoRequest }

// DuplicateRequestError says a request for the same tool exists.
type DuplicateRequestError struct {
	Existing Request `json:"existing"`
}

func (e *DuplicateRequestError) Error() string {
	return fmt.Sprintf("%q is already requested (request %d, %d votes)", e.Existing.Name, e.Existing.ID, e.Existing.Votes())
}

// AlreadyVotedError says the voter has voted for the request.
type AlreadyVotedError struct {
	ID    int    `json:"id"`
	Voter string `json:"voter"`
}

func (e *AlreadyVotedError) Error() string {
	return fmt.Sprintf("%s has already voted for request %d", e.Voter, e.ID)
}

// requestErr turns the store's request errors into the host's.
func requestErr(id int, err error) error {
	var dup *store.DuplicateRequestError
	var voted *store.AlreadyVotedError
	switch {
	case errors.As(err, &dup):
		return &DuplicateRequestError{Existing: Request(dup.Existing)}
	case errors.As(err, &voted):
		return &AlreadyVotedError{ID: voted.ID, Voter: voted.Voter}
	case errors.Is(err, store.ErrNotFound):
		return &NoRequestError{ID: id}
	}
	return err
}

// Add records a request for a tool by who; it counts as their vote.
func (r *requestsSvc) Add(_ context.Context, tool, reason, who string) (store.Request, error) {
	tool = strings.TrimSpace(tool)
	if tool == "" {
		return store.Request{}, errors.New("request: name the tool you want an integration for")
	}
	if len(tool) > 200 {
		return store.Request{}, fmt.Errorf("request: the tool name is %d characters; keep it under 200", len(tool))
	}
	if who == "" {
		return store.Request{}, errors.New("request: who is asking is empty")
	}
	st, err := r.h.openStore()
	if err != nil {
		return store.Request{}, err
	}
	req, err := st.AddRequest(tool, strings.TrimSpace(reason), who, time.Now().UTC())
	return req, requestErr(0, err)
}

// Vote adds who's vote to request id; a second vote by the same person is
// an *AlreadyVotedError.
func (r *requestsSvc) Vote(_ context.Context, id int, who string) (store.Request, error) {
	if who == "" {
		return store.Request{}, errors.New("vote: who is voting is empty")
	}
	st, err := r.h.openStore()
	if err != nil {
		return store.Request{}, err
	}
	req, err := st.Vote(id, who)
	return req, requestErr(id, err)
}

// List returns every request, most votes first.
func (r *requestsSvc) List(context.Context) ([]store.Request, error) {
	st, err := r.h.openStore()
	if err != nil {
		return nil, err
	}
	return st.Requests()
}
