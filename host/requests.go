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
type Requests struct{ h *Host }

// Requests returns the host's integration requests, kept in the store.
func (h *Host) Requests() *Requests { return &Requests{h: h} }

// Request is one integration request.
type Request = store.Request

// DuplicateRequestError says the tool is already requested; vote instead.
type DuplicateRequestError = store.DuplicateRequestError

// AlreadyVotedError says the voter already voted for the request.
type AlreadyVotedError = store.AlreadyVotedError

// ErrNoRequest is matched (errors.Is) by the error of a vote for a request
// that does not exist.
var ErrNoRequest = store.ErrNotFound

// Add records a request for a tool by who; it counts as their vote.
func (r *Requests) Add(_ context.Context, tool, reason, who string) (Request, error) {
	tool = strings.TrimSpace(tool)
	if tool == "" {
		return Request{}, errors.New("request: name the tool you want an integration for")
	}
	if len(tool) > 200 {
		return Request{}, fmt.Errorf("request: the tool name is %d characters; keep it under 200", len(tool))
	}
	if who == "" {
		return Request{}, errors.New("request: who is asking is empty")
	}
	st, err := r.h.openStore()
	if err != nil {
		return Request{}, err
	}
	return st.AddRequest(tool, strings.TrimSpace(reason), who, time.Now().UTC())
}

// Vote adds who's vote to request id; a second vote by the same person is
// an *AlreadyVotedError.
func (r *Requests) Vote(_ context.Context, id int, who string) (Request, error) {
	if who == "" {
		return Request{}, errors.New("vote: who is voting is empty")
	}
	st, err := r.h.openStore()
	if err != nil {
		return Request{}, err
	}
	return st.Vote(id, who)
}

// List returns every request, most votes first.
func (r *Requests) List(context.Context) ([]Request, error) {
	st, err := r.h.openStore()
	if err != nil {
		return nil, err
	}
	return st.Requests()
}
